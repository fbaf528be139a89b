package dev.twinmesh.app;

import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.ModelPreset;
import dev.twinmesh.worker.checkpoint.RandomCheckpointWriter;
import dev.twinmesh.worker.checkpoint.RandomWeightsMarker;
import dev.twinmesh.worker.checkpoint.WriteProgress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Random-weight checkpoints: written once into a data directory and reused by later runs. */
public final class RandomModels {
  private static final Logger LOG = LoggerFactory.getLogger(RandomModels.class);
  static final long DEFAULT_SEED = 0;

  private RandomModels() {}

  static ModelConfig write(ModelPreset preset, Path out, long seed, String dtype, long shardBytes, WriteProgress progress) {
    ModelConfig config = RandomCheckpointWriter.write(preset, out, seed, dtype, shardBytes, progress);
    RandomWeightsMarker.write(out, preset.id(), seed);
    return config;
  }

  /**
   * The checkpoint of {@code preset} in {@code dir}, generated on first use. It is written beside its
   * final place and moved in whole, so an interrupted run never leaves a half-written model to reuse.
   */
  public static Path ensure(Path dir, String presetId) {
    if (RandomWeightsMarker.isRandom(dir)) {
      LOG.info("reusing the random-weight {} checkpoint in {}", presetId, dir);
      return dir;
    }
    ModelPreset preset = ModelPreset.byId(presetId);
    Path partial = dir.resolveSibling(dir.getFileName() + ".partial");
    LOG.info("no --model given: generating a random-weight {} checkpoint in {} (once)", presetId, dir);
    try {
      deleteTree(partial);
      write(preset, partial, DEFAULT_SEED, "fp32", Long.MAX_VALUE, WriteProgress.bar(System.err));
      deleteTree(dir);
      Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot generate the random checkpoint in " + dir, e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
