package dev.sluice.log;

/**
 * A partition directory holds a log in a format this version cannot read (Sluice's format 1, batch
 * magic 1, or a {@value LogFormat#MARKER_FILE} marker naming another format). The message names
 * every directory concerned, the file, the position, the magic found and the magic supported, and
 * says that nothing was changed.
 */
public class UnsupportedLogFormatException extends RuntimeException {
  public UnsupportedLogFormatException(String message) {
    super(message);
  }
}
