package dev.sluice.replication;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** How a failure reads in a status page and a log line. Stateless. */
public final class Failures {
  private Failures() {}

  /**
   * The failure's type and message, without the wrappers futures add ({@link CompletionException},
   * {@link ExecutionException}), e.g. {@code "CorruptFrameException: orders-3: ..."}: what failed
   * is the cause, not the future.
   */
  public static String describe(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
