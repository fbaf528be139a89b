package dev.twinmesh.worker.engine;

import dev.twinmesh.common.SamplingParams;

/**
 * A validated request as the engine takes it: prompt token ids and how to sample. {@code maxTokens}
 * is resolved (never null) and fits the model's context with the prompt.
 */
public record GenerationRequest(String requestId, int[] promptTokenIds, SamplingParams sampling, int maxTokens,
                                int priority, long arrivalNanos) {}
