package dev.sluice.node.http;

import dev.sluice.api.ProducerIdResponse;
import java.util.concurrent.CompletionStage;

/**
 * Producer ids for idempotent producers ({@code POST /producers}), each one unique for the
 * cluster's lifetime. Stages fail with an {@link ApiException} (503) when no id can be had now.
 */
@FunctionalInterface
public interface ProducerIdService {
  /** A producer id never given out before, with epoch 0. */
  CompletionStage<ProducerIdResponse> newProducer();
}
