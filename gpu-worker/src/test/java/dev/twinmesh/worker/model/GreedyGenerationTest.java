package dev.twinmesh.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.sampling.Sampler;
import dev.twinmesh.worker.sampling.SamplingState;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A golden run at temperature 0: prefill, then decode through the cache, token by token. */
class GreedyGenerationTest {

  private static final int NEW_TOKENS = 12;

  @Test
  void greedyDecodingMatchesTheReferenceArgmaxChain() {
    ModelConfig config = TinyConfigs.llama3();
    InMemoryTensorSource weights = InMemoryTensorSource.random(config, 81);
    int[] prompt = Arrays.copyOf(LlamaModelTest.prompt(config, 82), 20);
    try (DjlRuntime runtime = DjlRuntime.start(new DjlRuntime.Options("cpu", 1));
         LlamaModel model = LlamaModel.load(Path.of("in-memory"), weights, config, runtime, 128);
         KvCache cache = model.newCache(64)) {
      Sampler sampler = new Sampler();
      SamplingState state = new SamplingState(SamplingParams.greedy(NEW_TOKENS), prompt);
      int[] generated = new int[NEW_TOKENS];
      float[] logits = model.forwardLast(prompt, 0, cache);
      for (int i = 0; i < NEW_TOKENS; i++) {
        generated[i] = sampler.sample(logits, state).tokenId();
        if (i + 1 < NEW_TOKENS) {
          logits = model.forwardLast(new int[] {generated[i]}, prompt.length + i, cache);
        }
      }
      assertArrayEquals(referenceChain(config, weights, prompt), generated);
    }
  }

  /** The reference recomputes the whole sequence for every new token and takes the argmax. */
  private static int[] referenceChain(ModelConfig config, InMemoryTensorSource weights, int[] prompt) {
    ReferenceLlama reference = new ReferenceLlama(config, weights, true);
    int[] sequence = Arrays.copyOf(prompt, prompt.length + NEW_TOKENS);
    for (int n = prompt.length; n < sequence.length; n++) {
      double[][] logits = reference.logits(Arrays.copyOf(sequence, n));
      double[] last = logits[n - 1];
      int best = 0;
      for (int i = 1; i < last.length; i++) {
        if (last[i] > last[best]) {
          best = i;
        }
      }
      sequence[n] = best;
    }
    return Arrays.copyOfRange(sequence, prompt.length, sequence.length);
  }
}
