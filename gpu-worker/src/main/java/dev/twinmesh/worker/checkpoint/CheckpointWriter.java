package dev.twinmesh.worker.checkpoint;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a model's tensors the way Hugging Face saves them: one {@code model.safetensors}, or, above
 * the shard size, {@code model-0000i-of-0000N.safetensors} files plus {@code model.safetensors.index.json}.
 */
public final class CheckpointWriter {
  /** transformers' default max_shard_size. */
  public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

  private static final Map<String, String> METADATA = Map.of("format", "pt");

  private CheckpointWriter() {}

  public static void write(Path dir, List<TensorSpec> specs, TensorContent content, long shardBytes,
                           WriteProgress progress) {
    try {
      Files.createDirectories(dir);
      deleteOldWeights(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + dir, e);
    }
    List<List<TensorSpec>> shards = planShards(specs, shardBytes);
    progress.started(specs.stream().mapToLong(TensorSpec::byteSize).sum());
    if (shards.size() == 1) {
      SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), specs, METADATA, content, progress);
    } else {
      Map<String, String> weightMap = new TreeMap<>();
      for (int i = 0; i < shards.size(); i++) {
        String name = shardName(i + 1, shards.size());
        SafetensorsWriter.write(dir.resolve(name), shards.get(i), METADATA, content, progress);
        shards.get(i).forEach(spec -> weightMap.put(spec.name(), name));
      }
      writeIndex(dir, specs, weightMap);
    }
    progress.finished();
  }

  /** Greedy in tensor order, as transformers splits: a tensor larger than the limit gets a shard of its own. */
  static List<List<TensorSpec>> planShards(List<TensorSpec> specs, long shardBytes) {
    List<List<TensorSpec>> shards = new ArrayList<>();
    List<TensorSpec> current = new ArrayList<>();
    long currentBytes = 0;
    for (TensorSpec spec : specs) {
      if (!current.isEmpty() && currentBytes + spec.byteSize() > shardBytes) {
        shards.add(current);
        current = new ArrayList<>();
        currentBytes = 0;
      }
      current.add(spec);
      currentBytes += spec.byteSize();
    }
    shards.add(current);
    return shards;
  }

  static String shardName(int index, int count) {
    return String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", index, count);
  }

  private static void writeIndex(Path dir, List<TensorSpec> specs, Map<String, String> weightMap) {
    ObjectNode index = JsonFiles.MAPPER.createObjectNode();
    index.putObject("metadata").put("total_size", specs.stream().mapToLong(TensorSpec::byteSize).sum());
    ObjectNode map = index.putObject("weight_map");
    weightMap.forEach(map::put);
    JsonFiles.write(dir.resolve(Checkpoint.INDEX_FILE), index);
  }

  /** A rewrite with different sharding must not leave shards of the old layout that a loader could pick up. */
  private static void deleteOldWeights(Path dir) throws IOException {
    try (DirectoryStream<Path> old = Files.newDirectoryStream(dir,
        "{model.safetensors,model.safetensors.index.json,model-*-of-*.safetensors}")) {
      for (Path file : old) {
        Files.delete(file);
      }
    }
  }
}
