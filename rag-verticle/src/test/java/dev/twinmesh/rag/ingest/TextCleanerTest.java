package dev.twinmesh.rag.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TextCleanerTest {

  @Test
  void htmlLosesTagsScriptsAndEntitiesButKeepsParagraphs() {
    String html = "<html><head><style>p{}</style></head><body><h1>Title</h1><p>One &amp; two&nbsp;three</p>"
        + "<script>alert(1)</script><p>Four<br>five &#8212; six</p></body></html>";
    assertEquals("Title\nOne & two three\nFour\nfive \u2014 six", TextCleaner.clean(html, TextFormat.HTML));
  }

  @Test
  void markdownKeepsTheWordsOfLinksAndEmphasisAndTheCodeAsItIs() {
    String md = "# Heading\n\nSee [the docs](https://x.y) and ![a chart](c.png), **bold** and _it_.\n\n"
        + "```java\nint  x = 1;   // kept\n```\n> quoted";
    assertEquals("Heading\n\nSee the docs and a chart, bold and it.\n\nint  x = 1;   // kept\nquoted",
        TextCleaner.clean(md, TextFormat.MARKDOWN));
  }

  @Test
  void plainTextHasControlCharactersAndBlankRunsRemoved() {
    assertEquals("a b\n\nc", TextCleaner.clean("a\u0000  \t b\r\n\r\n\r\n\r\nc\u200b  ", TextFormat.PLAIN));
  }

  @Test
  void codeKeepsItsIndentation() {
    assertEquals("if x:\n    return 1", TextCleaner.clean("if x:   \n    return 1\n\n\n", TextFormat.CODE));
  }
}
