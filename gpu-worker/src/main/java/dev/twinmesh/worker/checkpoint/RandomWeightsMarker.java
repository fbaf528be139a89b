package dev.twinmesh.worker.checkpoint;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small file that says a checkpoint's weights are random, so the worker can say so plainly in its
 * log and in {@code /v1/models}. Hugging Face tooling ignores files it does not know.
 */
public final class RandomWeightsMarker {
  public static final String FILE = "twin_mesh_random_weights.json";

  private RandomWeightsMarker() {}

  public static void write(Path dir, String preset, long seed) {
    ObjectNode marker = JsonFiles.MAPPER.createObjectNode();
    marker.put("random_weights", true);
    marker.put("preset", preset);
    marker.put("seed", seed);
    marker.put("written_by", "twin-mesh model random");
    JsonFiles.write(dir.resolve(FILE), marker);
  }

  public static boolean isRandom(Path dir) {
    return Files.isRegularFile(dir.resolve(FILE));
  }
}
