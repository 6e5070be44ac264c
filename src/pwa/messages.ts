// The prompt's words in the UI's languages. The prompt lives outside App.svelte (it is mounted by
// src/pwa/register.ts), so it follows the page's <html lang>, which the UI's language switch sets.
export type PromptKind = 'offline-ready' | 'update-available';

export interface PromptMessages {
  'offline-ready': string;
  'update-available': string;
  reload: string;
  later: string;
  dismiss: string;
  region: string;
}

const MESSAGES = {
  en: {
    'offline-ready': 'Ready to work offline: the app and its built-in model are saved on this device.',
    'update-available': 'A new version of Time Stream is available.',
    reload: 'Reload',
    later: 'Later',
    dismiss: 'OK',
    region: 'App updates',
  },
  ko: {
    'offline-ready': '오프라인에서 사용할 준비가 되었습니다. 앱과 내장 모델이 이 기기에 저장되었습니다.',
    'update-available': 'Time Stream의 새 버전이 있습니다.',
    reload: '새로고침',
    later: '나중에',
    dismiss: '확인',
    region: '앱 업데이트',
  },
} satisfies Record<string, PromptMessages>;

/** The messages for a BCP 47 language tag (Korean for ko-*, English otherwise). */
export function promptMessages(lang: string): PromptMessages {
  return lang.toLowerCase().startsWith('ko') ? MESSAGES.ko : MESSAGES.en;
}
