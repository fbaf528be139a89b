// The twin-mesh chat page: posts to the gateway's OpenAI API with stream=true and reads the SSE body
// as it arrives (fetch with a streamed body), so the answer grows token by token.
(function () {
  'use strict';
  const log = document.getElementById('log');
  const form = document.getElementById('composer');
  const question = document.getElementById('question');
  const sendButton = document.getElementById('send');
  const stopButton = document.getElementById('stop');
  const author = document.getElementById('author');
  const rag = document.getElementById('rag');
  const apiKey = document.getElementById('apiKey');
  const history = [];
  let controller = null;

  author.value = localStorage.getItem('twin.author') || '';
  apiKey.value = localStorage.getItem('twin.apiKey') || '';
  author.addEventListener('change', function () { localStorage.setItem('twin.author', author.value); });
  apiKey.addEventListener('change', function () { localStorage.setItem('twin.apiKey', apiKey.value); });

  function addMessage(kind) {
    const div = document.createElement('div');
    div.className = 'message ' + kind;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function showError(target, status, message) {
    target.className = 'message error';
    const retry = status === 429 ? ' The twin is busy: try again in a moment.' : '';
    target.textContent = 'Error' + (status ? ' ' + status : '') + ': ' + message + retry;
  }

  function addMeta(target, traceId, sourcesHeader, finishReason) {
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = 'trace ' + (traceId || '-') + (finishReason ? ' · ' + finishReason : '');
    meta.dataset.traceId = traceId || '';
    target.appendChild(meta);
    let sources = [];
    try { sources = sourcesHeader ? JSON.parse(decodeURIComponent(sourcesHeader)) : []; } catch (e) { sources = []; }
    if (sources.length > 0) {
      const list = document.createElement('ol');
      list.className = 'sources';
      sources.forEach(function (s) {
        const li = document.createElement('li');
        li.textContent = (s.source || s.id) + ' (' + s.collection + ', score ' + Number(s.score).toFixed(3) + ')';
        list.appendChild(li);
      });
      target.appendChild(list);
    }
  }

  async function send(text) {
    history.push({ role: 'user', content: text });
    addMessage('user').textContent = text;
    const answer = addMessage('assistant');
    const body = answer.appendChild(document.createElement('div'));
    body.className = 'body';
    controller = new AbortController();
    sendButton.disabled = true;
    stopButton.disabled = false;
    const headers = { 'content-type': 'application/json' };
    if (apiKey.value) { headers.authorization = 'Bearer ' + apiKey.value; }
    let content = '';
    let finishReason = null;
    let traceId = null;
    let sources = null;
    try {
      const response = await fetch('/v1/chat/completions', {
        method: 'POST', headers: headers, signal: controller.signal,
        body: JSON.stringify({ model: window.TWIN_MODEL || 'twin', stream: true, messages: history,
          rag: rag.checked, author: author.value || undefined })
      });
      traceId = response.headers.get('x-twin-trace-id');
      sources = response.headers.get('x-twin-sources');
      if (!response.ok) {
        const error = await response.json().catch(function () { return {}; });
        showError(answer, response.status, (error.error && error.error.message) || response.statusText);
        history.pop();
        return;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let pending = '';
      for (;;) {
        const next = await reader.read();
        if (next.done) { break; }
        pending += decoder.decode(next.value, { stream: true });
        let end;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const event = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const data = event.split('\n').filter(function (l) { return l.startsWith('data: '); })
            .map(function (l) { return l.slice(6); }).join('\n');
          if (!data || data === '[DONE]') { continue; }
          const chunk = JSON.parse(data);
          if (chunk.error) { throw new Error(chunk.error.message); }
          const choice = chunk.choices && chunk.choices[0];
          if (!choice) { continue; }
          if (choice.delta && choice.delta.content) {
            content += choice.delta.content;
            body.innerHTML = window.TwinMarkdown.render(content);
            log.scrollTop = log.scrollHeight;
          }
          if (choice.finish_reason) { finishReason = choice.finish_reason; }
        }
      }
      history.push({ role: 'assistant', content: content });
      addMeta(answer, traceId, sources, finishReason);
    } catch (e) {
      if (e.name === 'AbortError') {
        history.push({ role: 'assistant', content: content });
        addMeta(answer, traceId, sources, 'stopped');
      } else {
        showError(answer, null, e.message);
      }
    } finally {
      controller = null;
      sendButton.disabled = false;
      stopButton.disabled = true;
    }
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    const text = question.value.trim();
    if (text && !controller) {
      question.value = '';
      send(text);
    }
  });
  question.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  stopButton.addEventListener('click', function () {
    if (controller) { controller.abort(); }
  });
})();
