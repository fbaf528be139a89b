package dev.twinmesh.worker.checkpoint;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes the JSON files of a checkpoint directory, laid out the way Python's json.dump(indent=2) does. */
public final class JsonFiles {
  private JsonFiles() {}

  public static final ObjectMapper MAPPER = new ObjectMapper();

  private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter()
      .withSeparators(Separators.createDefaultInstance()
          .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
      .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
      .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n")));

  /** A required JSON file; a missing or malformed one is a checkpoint error naming it. */
  public static JsonNode read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new CheckpointException(file, "file not found");
    }
    try {
      JsonNode node = MAPPER.readTree(file.toFile());
      if (node == null || !node.isObject()) {
        throw new CheckpointException(file, "not a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new CheckpointException(file, "not valid JSON: " + e.getMessage(), e);
    }
  }

  public static String pretty(Object value) {
    try {
      return PRETTY.writeValueAsString(value) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void write(Path file, Object value) {
    try {
      Files.writeString(file, pretty(value));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
