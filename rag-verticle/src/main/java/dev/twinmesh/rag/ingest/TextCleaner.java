package dev.twinmesh.rag.ingest;

import java.text.Normalizer;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes raw text fit for embedding: markup removed, Unicode normalised, control characters dropped,
 * runs of blank space collapsed. Code keeps its lines and indentation.
 */
public final class TextCleaner {
  private static final Pattern HTML_DROP = Pattern.compile("(?is)<(script|style|head|noscript|template)\\b.*?</\\1\\s*>|<!--.*?-->");
  private static final Pattern HTML_BREAK = Pattern.compile("(?i)<\\s*(br|/p|/div|/li|/h[1-6]|/tr|/blockquote|/pre|hr)\\b[^>]*>");
  private static final Pattern HTML_TAG = Pattern.compile("(?s)<[^>]*>");
  private static final Pattern ENTITY = Pattern.compile("&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);");
  private static final Map<String, String> NAMED = Map.of("amp", "&", "lt", "<", "gt", ">", "quot", "\"",
      "apos", "'", "nbsp", " ", "mdash", "\u2014", "ndash", "\u2013", "hellip", "\u2026", "rsquo", "\u2019");

  private static final Pattern MD_IMAGE = Pattern.compile("!\\[([^\\]]*)]\\([^)]*\\)");
  private static final Pattern MD_LINK = Pattern.compile("\\[([^\\]]+)]\\([^)]*\\)");
  private static final Pattern MD_HEADING = Pattern.compile("(?m)^\\s{0,3}#{1,6}\\s+");
  private static final Pattern MD_EMPHASIS = Pattern.compile("(\\*\\*|__|\\*|_|~~)(?=\\S)(.+?)(?<=\\S)\\1");
  private static final Pattern MD_QUOTE = Pattern.compile("(?m)^\\s{0,3}>\\s?");
  private static final Pattern MD_RULE = Pattern.compile("(?m)^\\s{0,3}([-*_])(\\s*\\1){2,}\\s*$");

  private static final Pattern CONTROL = Pattern.compile("[\\p{Cc}&&[^\\n\\t]]|[\\p{Cf}\\p{Co}\\p{Cs}]");
  private static final Pattern SPACES = Pattern.compile("[ \\t\\u00a0]+");
  private static final Pattern BLANK_LINES = Pattern.compile("\\n\\s*\\n(\\s*\\n)+");
  private static final Pattern LEADING = Pattern.compile("(?m)^[ \\t]+");
  private static final Pattern TRAILING = Pattern.compile("(?m)[ \\t]+$");

  private TextCleaner() {}

  public static String clean(String text, TextFormat format) {
    if (text == null) {
      return "";
    }
    String out = Normalizer.normalize(text.replace("\r\n", "\n").replace('\r', '\n'), Normalizer.Form.NFKC);
    out = switch (format) {
      case HTML -> collapse(stripHtml(out));
      case MARKDOWN -> stripMarkdown(out);
      case PLAIN -> collapse(out);
      case CODE -> out;
    };
    out = CONTROL.matcher(out).replaceAll("");
    out = TRAILING.matcher(out).replaceAll("");
    return BLANK_LINES.matcher(out).replaceAll("\n\n").strip();
  }

  public static String stripHtml(String html) {
    String out = HTML_DROP.matcher(html).replaceAll(" ");
    out = HTML_BREAK.matcher(out).replaceAll("\n");
    out = HTML_TAG.matcher(out).replaceAll(" ");
    return decodeEntities(out);
  }

  private static String stripMarkdown(String md) {
    StringBuilder out = new StringBuilder();
    boolean inFence = false;
    StringBuilder prose = new StringBuilder();
    for (String line : md.split("\n", -1)) {
      if (line.strip().startsWith("```") || line.strip().startsWith("~~~")) {
        out.append(stripMarkdownProse(prose.toString()));
        prose.setLength(0);
        inFence = !inFence;
        continue;
      }
      (inFence ? out : prose).append(line).append('\n');
    }
    out.append(stripMarkdownProse(prose.toString()));
    return out.toString();
  }

  private static String stripMarkdownProse(String md) {
    String out = MD_IMAGE.matcher(md).replaceAll("$1");
    out = MD_LINK.matcher(out).replaceAll("$1");
    out = MD_RULE.matcher(out).replaceAll("");
    out = MD_HEADING.matcher(out).replaceAll("");
    out = MD_QUOTE.matcher(out).replaceAll("");
    out = MD_EMPHASIS.matcher(out).replaceAll("$2");
    out = HTML_TAG.matcher(out).replaceAll(" ");
    return collapse(decodeEntities(out));
  }

  /** Prose only: runs of spaces become one, and lines lose their indentation. */
  private static String collapse(String text) {
    return LEADING.matcher(SPACES.matcher(text).replaceAll(" ")).replaceAll("");
  }

  private static String decodeEntities(String text) {
    Matcher m = ENTITY.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String decoded;
      try {
        if (name.startsWith("#x")) {
          decoded = Character.toString(Integer.parseInt(name.substring(2), 16));
        } else if (name.startsWith("#")) {
          decoded = Character.toString(Integer.parseInt(name.substring(1)));
        } else {
          decoded = NAMED.getOrDefault(name, m.group());
        }
      } catch (IllegalArgumentException e) {
        decoded = m.group();
      }
      m.appendReplacement(out, Matcher.quoteReplacement(decoded));
    }
    m.appendTail(out);
    return out.toString();
  }
}
