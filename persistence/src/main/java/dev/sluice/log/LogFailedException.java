package dev.sluice.log;

import java.io.IOException;

/**
 * The log refuses appends and flushes because a force of one of its files failed. After a failed
 * fsync the kernel may have dropped the unwritten pages, so nothing written since the last
 * successful force can be proven durable, and a retried force would prove nothing either; only
 * reopening the log (whose recovery re-scans the files) makes it usable again.
 */
public class LogFailedException extends IOException {
  public LogFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
