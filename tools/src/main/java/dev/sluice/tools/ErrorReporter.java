package dev.sluice.tools;

import dev.sluice.client.SluiceClientException;
import dev.sluice.config.SettingsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception from a subcommand into {@code error: <message>} on stderr and exit code 1.
 * Expected failures (server errors, bad settings, missing files) print only their message; anything
 * else is a bug in Sluice and also prints its stack trace so it can be reported.
 */
final class ErrorReporter implements IExecutionExceptionHandler {

  static final int EXIT_ERROR = 1;

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    Throwable cause = ex instanceof UncheckedIOException u ? u.getCause() : ex;
    String expected = expectedMessage(cause);
    if (expected != null) {
      cmd.getErr().println("error: " + expected);
    } else {
      cmd.getErr().println("error: " + cause);
      cause.printStackTrace(cmd.getErr());
    }
    cmd.getErr().flush();
    return EXIT_ERROR;
  }

  /** The message to show for an anticipated failure, or null for an unexpected one. */
  private static String expectedMessage(Throwable t) {
    if (t instanceof SluiceClientException || t instanceof CliException) {
      return t.getMessage();
    }
    if (t instanceof SettingsException) {
      return t.getMessage();
    }
    // NIO file exceptions carry only the path as their message; say what went wrong with it.
    if (t instanceof NoSuchFileException e) {
      return "no such file: " + e.getFile();
    }
    if (t instanceof AccessDeniedException e) {
      return "permission denied: " + e.getFile();
    }
    if (t instanceof FileAlreadyExistsException e) {
      return "file already exists: " + e.getFile();
    }
    if (t instanceof IOException) {
      return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
    return null;
  }
}
