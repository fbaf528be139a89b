package dev.twinmesh.common;

import java.util.List;

/**
 * How one request samples, with OpenAI's field names (plus vLLM's extras).
 * Validated by {@link OpenAiRequests}; defaults are the twin's (temperature 0.01, top_p 0.6).
 */
public record SamplingParams(
    double temperature,
    double topP,
    int topK,
    double minP,
    double repetitionPenalty,
    double frequencyPenalty,
    double presencePenalty,
    Long seed,
    List<String> stop,
    List<Integer> stopTokenIds,
    Integer maxTokens,
    boolean logprobs,
    int topLogprobs,
    boolean ignoreEos) {

  public static final double DEFAULT_TEMPERATURE = 0.01;
  public static final double DEFAULT_TOP_P = 0.6;

  public SamplingParams {
    stop = stop == null ? List.of() : List.copyOf(stop);
    stopTokenIds = stopTokenIds == null ? List.of() : List.copyOf(stopTokenIds);
  }

  public static SamplingParams greedy(int maxTokens) {
    return new SamplingParams(0, 1, 0, 0, 1, 0, 0, null, List.of(), List.of(), maxTokens, false, 0, false);
  }

  public boolean isGreedy() {
    return temperature <= 0;
  }

}
