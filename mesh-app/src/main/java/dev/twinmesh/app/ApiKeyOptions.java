package dev.twinmesh.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import picocli.CommandLine.Option;

/** API keys the gateway accepts, from a comma-separated list or a file with one key per line. */
final class ApiKeyOptions {
  @Option(names = "--api-keys", defaultValue = "${env:TWIN_MESH_API_KEYS}",
      description = "Comma-separated Bearer keys the gateway accepts. None given: no authentication (local use only).")
  String keys;

  @Option(names = "--api-key-file", defaultValue = "${env:TWIN_MESH_API_KEY_FILE}",
      description = "A file with one accepted key per line ('#' starts a comment).")
  Path file;

  Set<String> keys() {
    Set<String> all = new HashSet<>();
    if (keys != null) {
      Arrays.stream(keys.split(",")).map(String::trim).filter(k -> !k.isEmpty()).forEach(all::add);
    }
    if (file != null) {
      try {
        Files.readAllLines(file).stream().map(String::trim)
            .filter(k -> !k.isEmpty() && !k.startsWith("#")).forEach(all::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the API key file " + file, e);
      }
    }
    return all;
  }
}
