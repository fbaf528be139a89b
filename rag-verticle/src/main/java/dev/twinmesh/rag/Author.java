package dev.twinmesh.rag;

import java.text.Normalizer;
import java.util.List;
import java.util.Locale;

/**
 * Whose writing a chunk is. The id filters every search; the name and aliases let a question name
 * the author ("as Ada Lovelace ...").
 */
public record Author(String id, String name, List<String> aliases) {

  public Author {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("an author needs an id");
    }
    name = name == null || name.isBlank() ? id : name.strip();
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
  }

  public Author(String id, String name) {
    this(id, name, List.of());
  }

  /** An author known only by name: the id is the name's slug ("Ada Lovelace" becomes "ada-lovelace"). */
  public static Author named(String name) {
    return new Author(slug(name), name);
  }

  public static String slug(String name) {
    String ascii = Normalizer.normalize(name, Normalizer.Form.NFKD).replaceAll("\\p{M}", "");
    return ascii.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
  }
}
