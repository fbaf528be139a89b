package dev.twinmesh.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The batched, paged path against the single-sequence contiguous path it must agree with. */
class PagedForwardTest {

  private static final int BLOCK_SIZE = 4;
  private static final float TOLERANCE = 2e-4f;

  private static DjlRuntime runtime;
  private static ModelConfig config;
  private static LlamaModel model;

  @BeforeAll
  static void load() {
    runtime = DjlRuntime.start(new DjlRuntime.Options("cpu", 1));
    config = TinyConfigs.qwen2();
    model = LlamaModel.load(Path.of("in-memory"), InMemoryTensorSource.random(config, 91), config, runtime, 128);
  }

  @AfterAll
  static void close() {
    model.close();
    runtime.close();
  }

  /** One sequence as the test drives it: its tokens so far, its blocks, and a contiguous twin. */
  private static final class Seq {
    final List<Integer> tokens = new ArrayList<>();
    final List<Integer> blocks = new ArrayList<>();
    final KvCache reference = model.newCache(64);
    int cached;
  }

  /** Blocks handed out out of order, so a sequence's slots are never contiguous. */
  private final int[] freeBlocks = {9, 2, 17, 5, 30, 0, 12, 23, 7, 28, 3, 19, 14, 25, 1, 11, 21, 6, 27, 16};
  private int nextBlock;

  @Test
  void aBatchedPrefillThenBatchedDecodeMatchEachSequenceAlone() {
    try (PagedKvCache cache = model.newPagedCache(32, BLOCK_SIZE)) {
      List<Seq> seqs = List.of(new Seq(), new Seq(), new Seq());
      int[] lengths = {7, 13, 5};
      List<int[]> chunks = new ArrayList<>();
      for (int s = 0; s < seqs.size(); s++) {
        chunks.add(Arrays.copyOf(LlamaModelTest.prompt(config, 100 + s), lengths[s]));
      }
      step(cache, seqs, chunks);
      int arrays = runtime.manager().getManagedArrays().size();
      for (int round = 0; round < 4; round++) {
        List<int[]> next = new ArrayList<>();
        for (int s = 0; s < seqs.size(); s++) {
          next.add(new int[] {(37 * round + 11 * s) % config.vocabSize()});
        }
        step(cache, seqs, next);
      }
      assertEquals(arrays, runtime.manager().getManagedArrays().size(), "arrays left behind by batched steps");
      seqs.forEach(seq -> seq.reference.close());
    }
  }

  @Test
  void aPromptChunkedAcrossStepsBesideADecodingSequenceMatches() {
    try (PagedKvCache cache = model.newPagedCache(32, BLOCK_SIZE)) {
      Seq decoding = new Seq();
      Seq prefilling = new Seq();
      int[] prompt = LlamaModelTest.prompt(config, 200);
      step(cache, List.of(decoding), List.of(Arrays.copyOf(prompt, 6)));
      // the new prompt arrives in chunks of 9 and 10 while the first sequence decodes
      step(cache, List.of(decoding, prefilling), List.of(new int[] {42}, Arrays.copyOfRange(prompt, 10, 19)));
      step(cache, List.of(prefilling, decoding), List.of(Arrays.copyOfRange(prompt, 19, 29), new int[] {43}));
      step(cache, List.of(decoding, prefilling), List.of(new int[] {44}, new int[] {45}));
      decoding.reference.close();
      prefilling.reference.close();
    }
  }

  @Test
  void aSlotMappingThatDisagreesWithTheBlockTableIsRefused() {
    try (PagedKvCache cache = PagedKvCache.allocate(config, 4, BLOCK_SIZE, runtime.manager(), runtime.weightType())) {
      // position 1 of block 2 is slot 9, not 10
      BatchInput wrongSlot = new BatchInput(new int[] {5, 6}, new int[] {0, 1}, new int[] {8, 10}, new int[] {2},
          new int[] {2}, new int[][] {{2}});
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(wrongSlot, cache));
      assertTrue(e.getMessage().contains("slot 10"), e.getMessage());
      BatchInput outside = new BatchInput(new int[] {5}, new int[] {0}, new int[] {16}, new int[] {1},
          new int[] {1}, new int[][] {{4}});
      assertThrows(IllegalArgumentException.class, () -> model.forward(outside, cache));
      BatchInput unknownToken = new BatchInput(new int[] {config.vocabSize()}, new int[] {0}, new int[] {8},
          new int[] {1}, new int[] {1}, new int[][] {{2}});
      e = assertThrows(IllegalArgumentException.class, () -> model.forward(unknownToken, cache));
      assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
    }
  }

  @Test
  void inconsistentBatchesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new BatchInput(new int[] {1, 2}, new int[] {0, 1},
        new int[] {0, 1}, new int[] {1}, new int[] {2}, new int[][] {{0}}));
    assertThrows(IllegalArgumentException.class, () -> new BatchInput(new int[] {1}, new int[] {3},
        new int[] {0}, new int[] {1}, new int[] {2}, new int[][] {{0}}));
  }

  /** Runs one batched step and checks each sequence's logits against its contiguous twin. */
  private void step(PagedKvCache cache, List<Seq> seqs, List<int[]> newTokens) {
    List<Integer> ids = new ArrayList<>();
    List<Integer> positions = new ArrayList<>();
    List<Integer> slots = new ArrayList<>();
    int[] queryLengths = new int[seqs.size()];
    int[] contextLengths = new int[seqs.size()];
    int[][] blockTables = new int[seqs.size()][];
    for (int s = 0; s < seqs.size(); s++) {
      Seq seq = seqs.get(s);
      int[] tokens = newTokens.get(s);
      for (int token : tokens) {
        int position = seq.tokens.size();
        if (position % BLOCK_SIZE == 0) {
          seq.blocks.add(freeBlocks[nextBlock++]);
        }
        ids.add(token);
        positions.add(position);
        slots.add(seq.blocks.get(position / BLOCK_SIZE) * BLOCK_SIZE + position % BLOCK_SIZE);
        seq.tokens.add(token);
      }
      queryLengths[s] = tokens.length;
      contextLengths[s] = seq.tokens.size();
      blockTables[s] = seq.blocks.stream().mapToInt(Integer::intValue).toArray();
    }
    BatchInput batch = new BatchInput(ints(ids), ints(positions), ints(slots), queryLengths, contextLengths, blockTables);
    float[] batched;
    try (NDArray logits = model.forward(batch, cache)) {
      assertEquals(seqs.size(), logits.getShape().get(0));
      batched = logits.toFloatArray();
    }
    int vocab = config.vocabSize();
    for (int s = 0; s < seqs.size(); s++) {
      Seq seq = seqs.get(s);
      float[] alone = model.forwardLast(newTokens.get(s), seq.cached, seq.reference);
      seq.cached += newTokens.get(s).length;
      assertArrayEquals(alone, Arrays.copyOfRange(batched, s * vocab, (s + 1) * vocab), TOLERANCE, "sequence " + s);
    }
  }

  private static int[] ints(List<Integer> values) {
    return values.stream().mapToInt(Integer::intValue).toArray();
  }
}
