// Mounts the update prompt into its own element (#pwa in index.html), outside App.svelte, and keeps
// its props reactive: what to show, and the words for the page's current language.
import { mount } from 'svelte';
import UpdatePrompt from '../ui/system/UpdatePrompt.svelte';
import { promptMessages, type PromptKind } from './messages';

/** How long "ready to work offline" stays before it hides itself (an update prompt waits for the user). */
const OFFLINE_READY_MS = 10_000;

export interface PromptView {
  show(kind: PromptKind): void;
}

export function mountPrompt(target: HTMLElement, onreload: () => void): PromptView {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const props = $state({
    kind: null as PromptKind | null,
    messages: promptMessages(document.documentElement.lang),
    onreload,
    ondismiss: () => (props.kind = null),
  });
  // The UI's language switch sets <html lang>; follow it.
  new MutationObserver(() => (props.messages = promptMessages(document.documentElement.lang))).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ['lang'],
  });
  mount(UpdatePrompt, { target, props });
  return {
    show(kind) {
      clearTimeout(timer);
      // An update prompt is not replaced by the (less important) offline note.
      if (props.kind === 'update-available' && kind === 'offline-ready') return;
      props.kind = kind;
      if (kind === 'offline-ready') timer = setTimeout(() => props.kind === 'offline-ready' && (props.kind = null), OFFLINE_READY_MS);
    },
  };
}
