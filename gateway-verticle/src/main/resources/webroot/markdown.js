// A small Markdown renderer that cannot inject markup: every character of model output is escaped
// first, and only a fixed set of constructs (code blocks, inline code, bold, italics, http(s) links,
// headings, lists) is turned back into elements. Model output never reaches innerHTML unescaped.
(function (global) {
  'use strict';

  function escapeHtml(text) {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  function inline(escaped) {
    return escaped
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/(^|[^*])\*([^*]+)\*/g, '$1<em>$2</em>')
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" rel="noopener noreferrer" target="_blank">$1</a>');
  }

  function render(markdown) {
    const parts = markdown.split(/```/);
    let html = '';
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        const body = part.replace(/^[\w+-]*\n/, '');
        html += '<pre><code>' + escapeHtml(body) + '</code></pre>';
        return;
      }
      html += blocks(part);
    });
    return html;
  }

  function blocks(text) {
    const out = [];
    let list = null;
    text.split('\n').forEach(function (line) {
      const item = /^\s*[-*] (.*)$/.exec(line);
      if (item) {
        list = list || [];
        list.push('<li>' + inline(escapeHtml(item[1])) + '</li>');
        return;
      }
      if (list) {
        out.push('<ul>' + list.join('') + '</ul>');
        list = null;
      }
      const heading = /^(#{1,4}) (.*)$/.exec(line);
      if (heading) {
        const level = heading[1].length + 2;
        out.push('<h' + level + '>' + inline(escapeHtml(heading[2])) + '</h' + level + '>');
      } else if (line.trim() !== '') {
        out.push('<p>' + inline(escapeHtml(line)) + '</p>');
      }
    });
    if (list) {
      out.push('<ul>' + list.join('') + '</ul>');
    }
    return out.join('');
  }

  global.TwinMarkdown = { render: render, escapeHtml: escapeHtml };
})(window);
