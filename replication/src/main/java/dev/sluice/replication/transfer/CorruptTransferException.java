package dev.sluice.replication.transfer;

/**
 * A transfer whose content is wrong although every frame was well formed: a chunk at a position the
 * follower does not hold, a staged batch whose length or CRC does not match its chunks or its own
 * header. The message names the partition, the batch offset, the value and what was expected. The
 * staged bytes are discarded, so the restarted transfer sends the batch afresh instead of failing
 * on the same bytes forever.
 */
public class CorruptTransferException extends RuntimeException {
  public CorruptTransferException(String message) {
    super(message);
  }

  public CorruptTransferException(String message, Throwable cause) {
    super(message, cause);
  }
}
