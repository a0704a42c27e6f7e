package dev.sluice.replication.transfer;

import dev.sluice.replication.protocol.RejectReason;

/** The leader refused the connection; the follower retries with backoff (or its owner reroutes). */
public class TransferRejectedException extends RuntimeException {
  private final RejectReason reason;

  public TransferRejectedException(RejectReason reason, String message) {
    super(reason + ": " + message);
    this.reason = reason;
  }

  public RejectReason reason() {
    return reason;
  }
}
