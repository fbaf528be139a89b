package dev.twinmesh.rag.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.twinmesh.common.Json;
import dev.twinmesh.rag.Author;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads an author's writing from disk into {@link SourceDocument}s, and says which files it left out and why.
 *
 * <p>An ingestion tree looks like this (every part optional):
 * <pre>
 * root/&lt;author-id&gt;/author.json            {"id": "ada", "name": "Ada Lovelace", "aliases": ["Ada"]}
 * root/&lt;author-id&gt;/posts/...               .md .markdown .txt .html .htm .json (exports)
 * root/&lt;author-id&gt;/articles/...            the same
 * root/&lt;author-id&gt;/repositories/&lt;repo&gt;/...   a code repository; its link in &lt;repo&gt;/.twin-source, if any
 * </pre>
 */
public final class SourceReader {
  static final long MAX_PROSE_BYTES = 5L << 20;
  static final long MAX_CODE_BYTES = 1L << 20;
  private static final Set<String> CODE_EXTENSIONS = Set.of("java", "kt", "kts", "scala", "groovy", "py", "js", "mjs",
      "ts", "tsx", "jsx", "go", "rs", "c", "h", "cc", "cpp", "hpp", "cs", "rb", "php", "swift", "sh", "bash", "sql",
      "md", "markdown", "txt", "rst", "yaml", "yml", "toml", "json", "xml", "gradle", "properties", "html", "css",
      "ipynb", "r", "jl", "lua", "ex", "exs", "hs", "ml", "clj", "dockerfile", "mk", "cfg", "ini", "cbl", "cob", "cpy",
      "f", "f90", "for", "pl", "pm", "m", "mm", "dart", "vue", "svelte", "zig", "nim", "erl", "proto", "graphql", "tf");
  private static final Set<String> CODE_NAMES = Set.of("Dockerfile", "Makefile", "README", "LICENSE", "Jenkinsfile");
  private static final Set<String> SKIPPED_DIRS = Set.of(".git", ".hg", ".svn", "node_modules", "target", "build",
      "dist", "out", ".idea", ".vscode", "__pycache__", ".venv", "venv", ".gradle", ".mvn", "vendor");
  private static final Set<String> LOCK_FILES = Set.of("package-lock.json", "yarn.lock", "pnpm-lock.yaml",
      "Cargo.lock", "poetry.lock", "go.sum", "Gemfile.lock", "composer.lock");
  private static final List<String> TEXT_KEYS = List.of("content", "text", "body", "markdown", "html", "article", "post");
  private static final List<String> LINK_KEYS = List.of("link", "url", "permalink", "source", "href");
  private static final List<String> LIST_KEYS = List.of("posts", "articles", "items", "data", "entries", "documents");

  /** What was read: the documents, how many files, and what was left out. */
  public record Read(List<SourceDocument> documents, int files, List<IngestSummary.Skipped> skipped) {
    static Read empty() {
      return new Read(new ArrayList<>(), 0, new ArrayList<>());
    }

    /** Appends in place: every Read holds lists of its own, made by this reader. */
    Read plus(Read other) {
      documents.addAll(other.documents);
      skipped.addAll(other.skipped);
      return new Read(documents, files + other.files, skipped);
    }
  }

  /** A whole ingestion tree: one folder per author. */
  public Read readTree(Path root) throws IOException {
    Read read = Read.empty();
    for (Path authorDir : list(root)) {
      if (!Files.isDirectory(authorDir)) {
        read = read.plus(skip(authorDir, "not an author folder"));
        continue;
      }
      Author author = author(authorDir);
      for (Path typeDir : list(authorDir)) {
        DocumentType type = DocumentType.ofFolder(typeDir.getFileName().toString());
        if (typeDir.getFileName().toString().equals("author.json")) {
          continue;
        }
        if (type == null || !Files.isDirectory(typeDir)) {
          read = read.plus(skip(typeDir, "not posts/, articles/ or repositories/"));
        } else if (type == DocumentType.REPOSITORIES) {
          for (Path repo : list(typeDir)) {
            read = read.plus(Files.isDirectory(repo) ? readRepository(repo, author, repoLink(repo))
                : skip(repo, "a repository must be a folder"));
          }
        } else {
          read = read.plus(readFolder(typeDir, author, type));
        }
      }
    }
    return read;
  }

  /** Every post or article file under {@code dir}, at any depth. */
  public Read readFolder(Path dir, Author author, DocumentType type) throws IOException {
    Read read = Read.empty();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        read = read.plus(readFile(file, author, type));
      }
    }
    return read;
  }

  /** One post or article file: Markdown, plain text, HTML, or a JSON export holding many. */
  public Read readFile(Path file, Author author, DocumentType type) {
    String ext = extension(file);
    TextFormat format = switch (ext) {
      case "md", "markdown" -> TextFormat.MARKDOWN;
      case "txt", "text" -> TextFormat.PLAIN;
      case "html", "htm" -> TextFormat.HTML;
      case "json" -> null;
      default -> TextFormat.CODE;
    };
    if (format == TextFormat.CODE) {
      return skip(file, "unsupported file type ." + ext);
    }
    String text;
    try {
      if (Files.size(file) > MAX_PROSE_BYTES) {
        return skip(file, "larger than " + (MAX_PROSE_BYTES >> 20) + " MiB");
      }
      text = readUtf8(file);
    } catch (IOException e) {
      return skip(file, "unreadable: " + e.getMessage());
    }
    if (format == null) {
      return readExport(file.toString(), text, author, type);
    }
    return new Read(new ArrayList<>(List.of(new SourceDocument(author, type, file.toString(), text, format))), 1,
        new ArrayList<>());
  }

  /** Every text file of a code repository, except build output, vendored code, lock files and binaries. */
  public Read readRepository(Path repo, Author author, String link) throws IOException {
    Read read = Read.empty();
    String base = link == null || link.isBlank() ? repo.getFileName().toString() : link.replaceAll("/+$", "");
    try (Stream<Path> walk = Files.walk(repo)) {
      for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
        Path relative = repo.relativize(file);
        if (inSkippedDir(relative) || file.getFileName().toString().equals(".twin-source")) {
          continue;
        }
        read = read.plus(readCodeFile(file, base + "/" + relative.toString().replace('\\', '/'), author));
      }
    }
    return read;
  }

  private Read readCodeFile(Path file, String source, Author author) {
    String name = file.getFileName().toString();
    if (LOCK_FILES.contains(name)) {
      return skip(source, "lock file");
    }
    if (!CODE_EXTENSIONS.contains(extension(file)) && !CODE_NAMES.contains(name)) {
      return skip(source, "not a source or text file");
    }
    try {
      if (Files.size(file) > MAX_CODE_BYTES) {
        return skip(source, "larger than " + (MAX_CODE_BYTES >> 20) + " MiB");
      }
      byte[] bytes = Files.readAllBytes(file);
      if (looksBinary(bytes)) {
        return skip(source, "binary");
      }
      String text = decodeUtf8(bytes);
      return new Read(new ArrayList<>(List.of(new SourceDocument(author, DocumentType.REPOSITORIES, source, text,
          TextFormat.CODE))), 1, new ArrayList<>());
    } catch (IOException e) {
      return skip(source, "unreadable: " + e.getMessage());
    }
  }

  /**
   * A JSON export: an array of posts or articles (or an object holding one under {@code posts}, {@code items}, ...),
   * each with its text in {@code content}, {@code text}, {@code body}, ... and its link in {@code link}, {@code url}, ...
   *
   * @param file where the export came from: a document without a link is cited as {@code file#index}
   */
  public Read readExport(String file, String json, Author author, DocumentType type) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(json);
    } catch (IOException e) {
      return skip(file, "malformed JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    JsonNode items = root;
    if (root.isObject()) {
      items = LIST_KEYS.stream().map(root::get).filter(n -> n != null && n.isArray()).findFirst().orElse(null);
      if (items == null) {
        items = Json.MAPPER.createArrayNode().add(root);
      }
    }
    if (!items.isArray()) {
      return skip(file, "a JSON export must hold an array of posts or articles");
    }
    Read read = new Read(new ArrayList<>(), 1, new ArrayList<>());
    int index = 0;
    for (JsonNode item : items) {
      String where = file + "#" + index++;
      String text = item.isTextual() ? item.asText() : firstText(item, TEXT_KEYS);
      if (text == null) {
        read.skipped().add(new IngestSummary.Skipped(where, "no content, text or body field"));
        continue;
      }
      String link = firstText(item, LINK_KEYS);
      String title = firstText(item, List.of("title"));
      TextFormat format = item.has("html") || text.stripLeading().startsWith("<") ? TextFormat.HTML : TextFormat.MARKDOWN;
      String full = title == null || text.contains(title) ? text : title + "\n\n" + text;
      read.documents().add(new SourceDocument(author, type, link == null ? where : link, full, format));
    }
    return read;
  }

  private static String firstText(JsonNode item, List<String> keys) {
    if (!item.isObject()) {
      return null;
    }
    for (String key : keys) {
      JsonNode value = item.get(key);
      if (value != null && value.isTextual() && !value.asText().isBlank()) {
        return value.asText();
      }
    }
    return null;
  }

  private static Author author(Path authorDir) throws IOException {
    Path meta = authorDir.resolve("author.json");
    if (Files.exists(meta)) {
      return Json.MAPPER.readValue(meta.toFile(), Author.class);
    }
    String id = authorDir.getFileName().toString();
    return new Author(id, id);
  }

  private static String repoLink(Path repo) throws IOException {
    Path file = repo.resolve(".twin-source");
    return Files.exists(file) ? Files.readString(file).strip() : null;
  }

  private static boolean inSkippedDir(Path relative) {
    for (int i = 0; i < relative.getNameCount() - 1; i++) {
      if (SKIPPED_DIRS.contains(relative.getName(i).toString())) {
        return true;
      }
    }
    return false;
  }

  private static boolean looksBinary(byte[] bytes) {
    for (int i = 0; i < Math.min(bytes.length, 8192); i++) {
      if (bytes[i] == 0) {
        return true;
      }
    }
    return false;
  }

  private static String readUtf8(Path file) throws IOException {
    return decodeUtf8(Files.readAllBytes(file));
  }

  /** Strict UTF-8 first; text in another encoding falls back to Latin-1 rather than being lost. */
  private static String decodeUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return new String(bytes, StandardCharsets.ISO_8859_1);
    }
  }

  private static String extension(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? name.toLowerCase(Locale.ROOT) : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.sorted().toList();
    }
  }

  private static Read skip(Path path, String reason) {
    return skip(path.toString(), reason);
  }

  private static Read skip(String source, String reason) {
    return new Read(new ArrayList<>(), 0, new ArrayList<>(List.of(new IngestSummary.Skipped(source, reason))));
  }
}
