// The channel the panels send their webviews through: held back until the webview says `ready`,
// then sent at once; on every `ready` what the panel shows is sent again. The webview is a fake:
// the list of what reached it.
import { describe, expect, it } from 'vitest';
import { WebviewChannel } from '../../src/host/panels/webviewChannel';

type Message = { type: 'loading'; text: string } | { type: 'show'; view: number } | { type: 'error'; message: string };

/** A channel whose webview records what it is posted, and whose panel shows `shown.view` once set. */
function fakeWebview(withCurrent = true) {
  const received: Message[] = [];
  const shown: { view?: number } = {};
  const channel = withCurrent
    ? new WebviewChannel<Message>(
        (m) => received.push(m),
        () => (shown.view === undefined ? undefined : { type: 'show', view: shown.view }),
      )
    : new WebviewChannel<Message>((m) => received.push(m));
  return { channel, received, shown };
}

describe('WebviewChannel', () => {
  it('sends nothing before the webview is ready, then only the latest message', () => {
    const { channel, received } = fakeWebview();
    channel.post({ type: 'loading', text: 'one' });
    channel.post({ type: 'loading', text: 'two' });
    expect(received).toEqual([]);
    channel.ready();
    expect(received).toEqual([{ type: 'loading', text: 'two' }]);
  });

  it('sends each message at once when the webview is ready', () => {
    const { channel, received } = fakeWebview();
    channel.ready();
    expect(received).toEqual([]);
    channel.post({ type: 'loading', text: 'a' });
    channel.post({ type: 'error', message: 'b' });
    expect(received).toEqual([
      { type: 'loading', text: 'a' },
      { type: 'error', message: 'b' },
    ]);
  });

  it('on ready sends what the panel shows rather than a message kept before', () => {
    const { channel, received, shown } = fakeWebview();
    channel.post({ type: 'loading', text: 'analysing' });
    shown.view = 7;
    channel.ready();
    expect(received).toEqual([{ type: 'show', view: 7 }]);
  });

  it('sends what the panel shows again on each later ready (a re-created page), and no kept message twice', () => {
    const { channel, received, shown } = fakeWebview();
    channel.post({ type: 'loading', text: 'analysing' });
    channel.ready();
    expect(received).toEqual([{ type: 'loading', text: 'analysing' }]);
    // Page re-created before anything is shown: the loading message was already sent; nothing to repeat.
    channel.ready();
    expect(received).toHaveLength(1);
    shown.view = 3;
    channel.post({ type: 'show', view: 3 });
    channel.ready();
    expect(received).toEqual([
      { type: 'loading', text: 'analysing' },
      { type: 'show', view: 3 },
      { type: 'show', view: 3 },
    ]);
  });

  it('without a current view only the kept message is sent on ready', () => {
    const { channel, received } = fakeWebview(false);
    channel.ready();
    channel.ready();
    expect(received).toEqual([]);
    const other = fakeWebview(false);
    other.channel.post({ type: 'error', message: 'no model' });
    other.channel.ready();
    other.channel.ready();
    expect(other.received).toEqual([{ type: 'error', message: 'no model' }]);
  });
});
