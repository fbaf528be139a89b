package dev.twinmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** RFC 6902 add, replace and remove on a Jackson tree: what the overlays' patches use. */
final class JsonPatch {
  private JsonPatch() {}

  static void apply(ObjectNode document, ArrayNode operations) {
    for (JsonNode operation : operations) {
      String op = operation.get("op").asText();
      String path = operation.get("path").asText();
      int slash = path.lastIndexOf('/');
      JsonNode parent = document.at(path.substring(0, slash));
      String last = path.substring(slash + 1).replace("~1", "/").replace("~0", "~");
      if (parent.isMissingNode()) {
        throw new IllegalArgumentException("patch path " + path + ": its parent does not exist");
      }
      switch (op) {
        case "add" -> add(parent, last, operation.get("value").deepCopy(), path);
        case "replace" -> {
          requireExists(parent, last, path);
          remove(parent, last);
          add(parent, last, operation.get("value").deepCopy(), path);
        }
        case "remove" -> {
          requireExists(parent, last, path);
          remove(parent, last);
        }
        default -> throw new IllegalArgumentException("patch operation " + op + " is not supported");
      }
    }
  }

  private static void requireExists(JsonNode parent, String last, String path) {
    boolean exists = parent.isArray() ? Integer.parseInt(last) < parent.size() : parent.has(last);
    if (!exists) {
      throw new IllegalArgumentException("patch path " + path + " does not exist");
    }
  }

  private static void add(JsonNode parent, String last, JsonNode value, String path) {
    if (parent.isObject()) {
      ((ObjectNode) parent).set(last, value);
    } else if (parent.isArray()) {
      ArrayNode array = (ArrayNode) parent;
      if (last.equals("-")) {
        array.add(value);
      } else {
        array.insert(Integer.parseInt(last), value);
      }
    } else {
      throw new IllegalArgumentException("patch path " + path + ": parent is not a container");
    }
  }

  private static void remove(JsonNode parent, String last) {
    if (parent.isObject()) {
      ((ObjectNode) parent).remove(last);
    } else {
      ((ArrayNode) parent).remove(Integer.parseInt(last));
    }
  }
}
