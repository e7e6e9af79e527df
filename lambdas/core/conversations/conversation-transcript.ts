// A conversation rendered for a model as quoted data, never as instructions: one JSON document (so quotes,
// newlines and fake role markers inside customer text stay inside JSON strings), with `<`, `>` and `&` escaped so
// text cannot close the <conversation> tag around it. Long conversations keep their opening message and the
// newest comments that fit the budget, because those are what a reply or a summary depends on.
import type { CommentView, ConversationView } from '../api-contract.js';
import type { ConversationStore } from '../ports.js';

export interface TranscriptInput {
  readonly conversation: Pick<ConversationView, 'subject' | 'body' | 'author' | 'createdAt'>;
  /** Oldest first. */
  readonly comments: readonly Pick<CommentView, 'body' | 'author' | 'createdAt'>[];
  /** An earlier summary of the comments that did not fit, when one exists. */
  readonly summary?: string;
}

export const TRANSCRIPT_OPEN = '<conversation>';
export const TRANSCRIPT_CLOSE = '</conversation>';

/** JSON with the characters that could end or fake a tag escaped; JSON.parse still reads it back unchanged. */
export const quoteAsData = (value: unknown): string =>
  JSON.stringify(value, null, 1).replaceAll('<', '\\u003c').replaceAll('>', '\\u003e').replaceAll('&', '\\u0026');

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}…`);

export function renderTranscript({ conversation, comments, summary }: TranscriptInput, budgetChars: number): string {
  const opening = {
    subject: clip(conversation.subject, 500),
    from: clip(conversation.author, 200),
    at: conversation.createdAt,
    message: clip(conversation.body, Math.floor(budgetChars / 3)),
  };
  let remaining = budgetChars - JSON.stringify(opening).length - (summary?.length ?? 0);
  const kept: { from: string; at: string; message: string }[] = [];
  for (let i = comments.length - 1; i >= 0 && remaining > 0; i--) {
    const comment = comments[i] as TranscriptInput['comments'][number];
    const entry = { from: clip(comment.author, 200), at: comment.createdAt, message: clip(comment.body, Math.max(200, remaining)) };
    remaining -= JSON.stringify(entry).length;
    kept.unshift(entry);
  }
  const omitted = comments.length - kept.length;
  const document = {
    ...opening,
    ...(summary ? { summaryOfEarlierComments: summary } : {}),
    ...(omitted > 0 ? { omittedComments: omitted } : {}),
    comments: kept,
  };
  return `${TRANSCRIPT_OPEN}\n${quoteAsData(document)}\n${TRANSCRIPT_CLOSE}`;
}

/** The live comments of a conversation, oldest first, paged from its store until `limit` of them are read. */
export async function liveComments(store: ConversationStore, conversationId: string, limit: number): Promise<CommentView[]> {
  const comments: CommentView[] = [];
  let after: string | undefined;
  do {
    const page = await store.listComments(conversationId, 100, after);
    comments.push(...page.items.filter((comment) => !comment.deleted));
    after = page.next;
  } while (after !== undefined && comments.length < limit);
  return comments;
}
