package dev.sluice.tools;

/** A user error found by the CLI itself (not the server): printed as its message, exit code 1. */
final class CliException extends RuntimeException {
  CliException(String message) {
    super(message);
  }
}
