// The page's Markdown renderer, without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdown } from '../../src/page/markdown.js';

test('HTML in the text is escaped, never rendered', () => {
  const html = renderMarkdown('<script>alert(1)</script> <img src=x onerror="a()">');
  assert.ok(!html.includes('<script') && !html.includes('<img'), html);
  assert.ok(html.includes('&lt;script&gt;'), html);
});

test('only http(s) links become links, with escaped URLs', () => {
  const html = renderMarkdown('[a](https://x.test/?q=1&r="2") [b](javascript:alert(1)) [c](data:text/html,x)');
  assert.equal((html.match(/<a /g) || []).length, 1, html);
  assert.ok(!html.includes('href="javascript') && !html.includes('href="data'), html);
});

test('code blocks, inline code, emphasis and lists', () => {
  const html = renderMarkdown('**b** *i* `x<y`\n\n- one\n- two\n\n1. first\n\n```rust\nfn main() { \"<b>\" }\n```');
  assert.ok(html.includes('<strong>b</strong>') && html.includes('<em>i</em>'), html);
  assert.ok(html.includes('<code>x&lt;y</code>'), html);
  assert.ok(html.includes('<ul><li>one</li><li>two</li></ul>') && html.includes('<ol><li>first</li></ol>'), html);
  assert.ok(html.includes('<pre><code class="language-rust">fn main() { &quot;&lt;b&gt;&quot; }</code></pre>'), html);
});

test('known tags are cut out of an answer; unknown ones and unfinished ones are not drawn', async () => {
  const { splitTags } = await import('../../src/page/tags.js');
  const known = ['chart', 'pika.map'];
  assert.deepEqual(splitTags('a <chart kind="bar" onclick="x()">{"v":1}</chart> b <nope>c</nope>', known), [
    { text: 'a ' },
    { tag: 'chart', attrs: [['kind', 'bar']], content: '{"v":1}', open: false },
    { text: ' b <nope>c</nope>' },
  ]);
  assert.deepEqual(splitTags('x <pika.map>Perth', known), [
    { text: 'x ' },
    { tag: 'pika.map', attrs: [], content: 'Perth', open: true },
  ]);
  assert.deepEqual(splitTags('<pikaXmap>no</pikaXmap>', known), [{ text: '<pikaXmap>no</pikaXmap>' }]);
  assert.deepEqual(splitTags('plain', []), [{ text: 'plain' }]);
});
