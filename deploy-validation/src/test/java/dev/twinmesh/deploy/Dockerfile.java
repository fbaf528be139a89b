package dev.twinmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The instructions of a Dockerfile that the checks read: stages, and the final stage's runtime settings. */
record Dockerfile(Path path, List<String> fromImages, Map<String, String> env, String user, List<Integer> exposed,
                  String healthcheck, List<String> entrypoint, List<String> cmd, List<List<String>> runsByStage) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ENV_PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"([^\"]*)\"|(\\S*))");

  /** The Dockerfile that builds {@code image} (a name like twin-mesh/worker-cuda, tag ignored). */
  static Dockerfile forImage(String image) {
    String name = image.replaceFirst(":[^/]*$", "");
    String file = switch (name) {
      case "twin-mesh/business" -> "business/Dockerfile";
      case "twin-mesh/monitoring" -> "monitoring/Dockerfile";
      case "twin-mesh/worker-cpu" -> "worker/Dockerfile";
      case "twin-mesh/worker-cuda" -> "worker/Dockerfile.cuda";
      default -> throw new IllegalArgumentException("no Dockerfile in docker/ builds " + image);
    };
    return read(DeployFiles.docker().resolve(file));
  }

  static Dockerfile read(Path path) {
    List<String> lines;
    try {
      lines = joinContinuations(Files.readAllLines(path));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> froms = new ArrayList<>();
    List<List<String>> runs = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>();
    String user = null;
    String health = null;
    List<Integer> exposed = new ArrayList<>();
    List<String> entrypoint = List.of();
    List<String> cmd = List.of();
    for (String line : lines) {
      String[] parts = line.strip().split("\\s+", 2);
      String rest = parts.length > 1 ? parts[1] : "";
      switch (parts[0].toUpperCase()) {
        case "FROM" -> {
          froms.add(rest.split("\\s+")[0]);
          env.clear();
          runs.add(new ArrayList<>());
          user = null;
          health = null;
          exposed.clear();
        }
        case "ENV" -> {
          Matcher m = ENV_PAIR.matcher(rest);
          while (m.find()) {
            env.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(4));
          }
        }
        case "USER" -> user = rest.strip();
        case "EXPOSE" -> exposed.add(Integer.parseInt(rest.strip()));
        case "HEALTHCHECK" -> health = rest;
        case "ENTRYPOINT" -> entrypoint = jsonArray(rest);
        case "CMD" -> cmd = jsonArray(rest);
        case "RUN" -> runs.get(runs.size() - 1).add(rest);
        default -> { }
      }
    }
    return new Dockerfile(path, froms, env, user, exposed, health, entrypoint, cmd, runs);
  }

  /** The RUN instructions of stage {@code index} (0 = the first FROM). */
  List<String> runsOfStage(int index) {
    return runsByStage.get(index);
  }

  private static List<String> joinContinuations(List<String> raw) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : raw) {
      if (current.isEmpty() && (line.isBlank() || line.strip().startsWith("#"))) {
        continue;
      }
      if (line.strip().startsWith("#")) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
      } else {
        out.add(current.append(line).toString());
        current.setLength(0);
      }
    }
    return out;
  }

  private static List<String> jsonArray(String text) {
    try {
      List<String> out = new ArrayList<>();
      for (JsonNode n : JSON.readTree(text)) {
        out.add(n.asText());
      }
      return out;
    } catch (IOException e) {
      throw new IllegalArgumentException("exec form (a JSON array) expected: " + text, e);
    }
  }
}
