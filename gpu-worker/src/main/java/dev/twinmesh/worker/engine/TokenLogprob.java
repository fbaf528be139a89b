package dev.twinmesh.worker.engine;

/** A token with its log-probability under the request's sampling distribution. */
public record TokenLogprob(int tokenId, String text, float logprob) {}
