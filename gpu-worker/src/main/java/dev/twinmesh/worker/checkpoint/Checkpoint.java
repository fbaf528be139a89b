package dev.twinmesh.worker.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of a Hugging Face checkpoint directory: {@code model.safetensors}, or the shards that
 * {@code model.safetensors.index.json} names.
 */
public final class Checkpoint implements TensorSource {
  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private final Path dir;
  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> fileByTensor;

  private Checkpoint(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileByTensor) {
    this.dir = dir;
    this.files = files;
    this.fileByTensor = fileByTensor;
  }

  public static Checkpoint open(Path dir) {
    Path index = dir.resolve(INDEX_FILE);
    if (Files.isRegularFile(index)) {
      return openSharded(dir, index);
    }
    Path single = dir.resolve(SINGLE_FILE);
    if (!Files.isRegularFile(single)) {
      throw new CheckpointException(dir, "neither " + SINGLE_FILE + " nor " + INDEX_FILE + " found");
    }
    SafetensorsFile file = SafetensorsFile.open(single);
    Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    file.entries().keySet().forEach(name -> byTensor.put(name, file));
    return new Checkpoint(dir, List.of(file), Collections.unmodifiableMap(byTensor));
  }

  private static Checkpoint openSharded(Path dir, Path index) {
    Map<String, String> weightMap = readWeightMap(index);
    Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
    Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, String> e : weightMap.entrySet()) {
        SafetensorsFile shard = shards.get(e.getValue());
        if (shard == null) {
          shard = SafetensorsFile.open(dir.resolve(e.getValue()));
          shards.put(e.getValue(), shard);
        }
        if (!shard.entries().containsKey(e.getKey())) {
          throw new CheckpointException(shard.path(), "tensor " + e.getKey() + " is in " + INDEX_FILE
              + " but not in this shard");
        }
        byTensor.put(e.getKey(), shard);
      }
    } catch (RuntimeException e) {
      shards.values().forEach(SafetensorsFile::close);
      throw e;
    }
    return new Checkpoint(dir, new ArrayList<>(shards.values()), Collections.unmodifiableMap(byTensor));
  }

  private static Map<String, String> readWeightMap(Path index) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(index.toFile());
    } catch (IOException e) {
      throw new CheckpointException(index, "not valid JSON: " + e.getMessage(), e);
    }
    JsonNode weightMap = root == null ? null : root.get("weight_map");
    if (weightMap == null || !weightMap.isObject()) {
      throw new CheckpointException(index, "missing field weight_map");
    }
    Map<String, String> result = new LinkedHashMap<>();
    weightMap.fields().forEachRemaining(e -> {
      String file = e.getValue().asText();
      if (file.isEmpty() || file.contains("/") || file.contains("\\")) {
        throw new CheckpointException(index, "tensor " + e.getKey() + ": bad shard name '" + file + "'");
      }
      result.put(e.getKey(), file);
    });
    return result;
  }

  public Path dir() {
    return dir;
  }

  @Override
  public Set<String> names() {
    return fileByTensor.keySet();
  }

  @Override
  public boolean has(String name) {
    return fileByTensor.containsKey(name);
  }

  @Override
  public long[] shape(String name) {
    return entry(name).shape();
  }

  @Override
  public String dtype(String name) {
    return entry(name).dtype().name();
  }

  @Override
  public FloatBuffer readFloat32(String name) {
    return Float32Reader.read(fileOf(name), name);
  }

  /**
   * The stored bytes without conversion, mapped from the file; for loaders that hand fp16/bf16 data
   * straight to a device. Null-free: unknown names throw.
   */
  public ByteBuffer raw(String name) {
    SafetensorsEntry entry = entry(name);
    if (entry.byteSize() > Integer.MAX_VALUE) {
      throw new CheckpointException(fileOf(name).path(), "tensor " + name + " exceeds one mapping");
    }
    return fileOf(name).map(name, 0, (int) entry.byteSize());
  }

  public SafetensorsEntry entry(String name) {
    return fileOf(name).entry(name);
  }

  private SafetensorsFile fileOf(String name) {
    SafetensorsFile file = fileByTensor.get(name);
    if (file == null) {
      throw new CheckpointException(dir, "no tensor " + name);
    }
    return file;
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }
}
