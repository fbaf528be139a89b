package dev.twinmesh.rag;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A named text with {@code {variable}} slots. Unknown slots are an error at render time, so a template
 * edited by configuration cannot silently drop the question or the context.
 */
public record PromptTemplate(String name, String text) {
  private static final Pattern SLOT = Pattern.compile("\\{([a-z_]+)}");

  public String render(Map<String, String> variables) {
    Matcher m = SLOT.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = variables.get(m.group(1));
      if (value == null) {
        throw new IllegalArgumentException("template " + name + " needs variable {" + m.group(1) + "}");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A template shipped with twin-mesh, or the file at {@code override} when one is configured. */
  public static PromptTemplate load(String name, Path override) {
    try {
      if (override != null) {
        return new PromptTemplate(name, Files.readString(override));
      }
      try (InputStream in = PromptTemplate.class.getResourceAsStream("templates/" + name + ".txt")) {
        if (in == null) {
          throw new IllegalArgumentException("no built-in prompt template named " + name);
        }
        return new PromptTemplate(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read prompt template " + name, e);
    }
  }
}
