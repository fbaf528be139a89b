package dev.twinmesh.rag;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.twinmesh.common.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The authors whose writing has been ingested, kept in a small JSON file beside the data so that
 * retrieval can resolve "Ada", "ada-lovelace" or "Ada Lovelace" to one author id.
 */
public final class AuthorDirectory {
  private static final TypeReference<List<Author>> LIST = new TypeReference<>() {};

  private final Path file;
  private final Map<String, Author> byId = new LinkedHashMap<>();

  private AuthorDirectory(Path file) {
    this.file = file;
  }

  /** The directory stored in {@code file}, empty when the file does not exist yet; null keeps it in memory only. */
  public static AuthorDirectory open(Path file) {
    AuthorDirectory directory = new AuthorDirectory(file);
    if (file != null && Files.exists(file)) {
      try {
        for (Author author : Json.MAPPER.readValue(file.toFile(), LIST)) {
          directory.byId.put(author.id(), author);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the author directory " + file, e);
      }
    }
    return directory;
  }

  public static AuthorDirectory inMemory() {
    return open(null);
  }

  public synchronized List<Author> authors() {
    return List.copyOf(byId.values());
  }

  /** Adds or updates an author (aliases are merged) and saves the file. */
  public synchronized void register(Author author) {
    Author known = byId.get(author.id());
    if (author.equals(known)) {
      return;
    }
    List<String> aliases = new ArrayList<>(known == null ? List.of() : known.aliases());
    author.aliases().stream().filter(a -> !aliases.contains(a)).forEach(aliases::add);
    byId.put(author.id(), new Author(author.id(), author.name(), aliases));
    save();
  }

  /**
   * The author whose id, name, slug or alias this is, ignoring case; failing that, the one author
   * whose first name it is.
   */
  public synchronized Optional<Author> resolve(String nameOrId) {
    if (nameOrId == null || nameOrId.isBlank()) {
      return Optional.empty();
    }
    String wanted = nameOrId.strip();
    String slug = Author.slug(wanted);
    Optional<Author> exact = byId.values().stream()
        .filter(a -> a.id().equalsIgnoreCase(wanted) || a.id().equals(slug) || a.name().equalsIgnoreCase(wanted)
            || Author.slug(a.name()).equals(slug) || a.aliases().stream().anyMatch(x -> x.equalsIgnoreCase(wanted)))
        .findFirst();
    if (exact.isPresent() || slug.isEmpty()) {
      return exact;
    }
    List<Author> byFirstName = byId.values().stream()
        .filter(a -> Author.slug(a.name()).startsWith(slug + "-"))
        .toList();
    return byFirstName.size() == 1 ? Optional.of(byFirstName.get(0)) : Optional.empty();
  }

  /**
   * The known author this id, name or alias names (see {@link #resolve}); otherwise a new one (not yet registered)
   * whose name is as given and whose id is its slug.
   */
  public Author resolveOrNamed(String nameOrId) {
    Optional<Author> known = resolve(nameOrId);
    if (known.isPresent()) {
      return known.get();
    }
    String name = nameOrId.strip();
    String slug = Author.slug(name);
    return new Author(slug.isEmpty() ? name : slug, name);
  }

  /** The known author whose full name or alias appears in the text, as whole words; the longest name wins. */
  public synchronized Optional<Author> mentionedIn(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    String lower = text.toLowerCase(Locale.ROOT);
    Author best = null;
    int bestLength = 0;
    for (Author author : byId.values()) {
      List<String> names = new ArrayList<>(author.aliases());
      names.add(author.name());
      for (String name : names) {
        if (name.length() > bestLength && containsWord(lower, name.toLowerCase(Locale.ROOT))) {
          best = author;
          bestLength = name.length();
        }
      }
    }
    return Optional.ofNullable(best);
  }

  private static boolean containsWord(String text, String phrase) {
    return Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(phrase) + "(?![\\p{L}\\p{N}])").matcher(text).find();
  }

  private void save() {
    if (file == null) {
      return;
    }
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      List<Author> sorted = new ArrayList<>(byId.values());
      sorted.sort(Comparator.comparing(Author::id));
      Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), sorted);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the author directory " + file, e);
    }
  }
}
