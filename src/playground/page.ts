/// <reference lib="dom" />
import { BUILT_IN_RULES } from '../../rules/index.js';
import { DEFAULT_PG_VERSION } from '../config/defaults.js';
import type { Finding } from '../findings/finding.js';
import { type PlaygroundResult, type PlaygroundStatement, lintSql } from './lint-sql.js';

/*
 * The web playground's page (playground/index.html): lints the text box on every change, shows the
 * findings with their safe alternative and the locks each statement takes, and keeps the SQL, the
 * PostgreSQL version and the transaction choice in the URL fragment, so the address is a link to share.
 */

const VERSIONS = [11, 12, 13, 14, 15, 16, 17, 18];

const EXAMPLE = `-- Paste a migration: it is linted as you type.
ALTER TABLE users ADD COLUMN last_seen timestamptz NOT NULL DEFAULT now();
CREATE INDEX users_last_seen ON users (last_seen);
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
`;

interface PageState {
  readonly sql: string;
  readonly pgVersion: number;
  readonly inTransaction: boolean;
}

function element<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof kind)) throw new Error(`the page has no ${kind.name} #${id}`);
  return found;
}

/** `#v=16&tx=0&sql=...`: what a shared link carries. */
function stateFromFragment(fragment: string): PageState {
  const params = new URLSearchParams(fragment.replace(/^#/, ''));
  const version = Number(params.get('v'));
  return {
    sql: params.get('sql') ?? EXAMPLE,
    pgVersion: VERSIONS.includes(version) ? version : DEFAULT_PG_VERSION,
    inTransaction: params.get('tx') !== '0',
  };
}

function fragmentOf(state: PageState): string {
  return `#${new URLSearchParams({ v: String(state.pgVersion), tx: state.inTransaction ? '1' : '0', sql: state.sql }).toString()}`;
}

/** The little Markdown the lock descriptions use (bold, code, italics, list items), as DOM nodes: never as HTML. */
function renderMarkdown(markdown: string): HTMLElement {
  const container = document.createElement('div');
  container.className = 'locks';
  let list: HTMLUListElement | undefined;
  for (const block of markdown.split('\n')) {
    const line = block.replace(/ {2}$/, '');
    if (line.trim() === '') {
      list = undefined;
      continue;
    }
    if (line.startsWith('- ')) {
      list ??= container.appendChild(document.createElement('ul'));
      list.appendChild(inline(document.createElement('li'), line.slice(2)));
    } else {
      list = undefined;
      container.appendChild(inline(document.createElement('p'), line));
    }
  }
  return container;
}

function inline(target: HTMLElement, text: string): HTMLElement {
  for (const part of text.split(/(\*\*[^*]+\*\*|`[^`]+`|\b_[^_]+_\b)/)) {
    if (part === '') continue;
    const tag = part.startsWith('**') ? 'strong' : part.startsWith('`') ? 'code' : part.startsWith('_') && part.endsWith('_') ? 'em' : undefined;
    const inner = tag === 'strong' ? part.slice(2, -2) : tag ? part.slice(1, -1) : part;
    target.appendChild(tag ? Object.assign(document.createElement(tag), { textContent: inner }) : document.createTextNode(inner));
  }
  return target;
}

function findingItem(finding: Finding, editor: HTMLTextAreaElement): HTMLElement {
  const item = document.createElement('li');
  item.className = `finding ${finding.severity}`;
  const title = item.appendChild(document.createElement('button'));
  title.type = 'button';
  title.className = 'where';
  title.textContent = `${finding.line}:${finding.column} ${finding.severity} ${finding.ruleId}`;
  title.title = 'Select the statement in the editor';
  title.addEventListener('click', () => {
    editor.focus();
    editor.setSelectionRange(finding.offset, finding.endOffset);
  });
  item.appendChild(Object.assign(document.createElement('p'), { className: 'message', textContent: finding.message }));
  if (finding.lock) {
    const lock = `${finding.lock.mode} on ${finding.lock.relation}: ${finding.lock.impact}`;
    item.appendChild(Object.assign(document.createElement('p'), { className: 'lock', textContent: lock }));
  }
  if (finding.help !== undefined) {
    item.appendChild(Object.assign(document.createElement('p'), { className: 'help-title', textContent: 'Safe alternative:' }));
    item.appendChild(Object.assign(document.createElement('pre'), { className: 'help', textContent: finding.help }));
  }
  return item;
}

function statementItem(statement: PlaygroundStatement): HTMLElement {
  const item = document.createElement('li');
  item.className = 'statement';
  const firstLine = statement.text.split('\n')[0] ?? '';
  item.appendChild(Object.assign(document.createElement('pre'), { className: 'sql', textContent: `${statement.line}: ${firstLine}${statement.text.includes('\n') ? ' …' : ''}` }));
  item.appendChild(renderMarkdown(statement.locks));
  return item;
}

function render(result: PlaygroundResult, editor: HTMLTextAreaElement): void {
  const errors = result.findings.filter((finding) => finding.severity === 'error').length;
  const warnings = result.findings.length - errors;
  element('summary', HTMLElement).textContent =
    result.findings.length === 0 ? 'No findings.' : `${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}.`;
  element('findings', HTMLElement).replaceChildren(...result.findings.map((finding) => findingItem(finding, editor)));
  element('statements', HTMLElement).replaceChildren(...result.statements.map(statementItem));
}

function start(): void {
  const editor = element('sql', HTMLTextAreaElement);
  const version = element('pg-version', HTMLSelectElement);
  const transaction = element('in-transaction', HTMLInputElement);
  const share = element('share', HTMLButtonElement);
  version.replaceChildren(...VERSIONS.map((major) => Object.assign(document.createElement('option'), { value: String(major), textContent: `PostgreSQL ${major}` })));
  const show = (state: PageState): void => {
    editor.value = state.sql;
    version.value = String(state.pgVersion);
    transaction.checked = state.inTransaction;
  };
  const current = (): PageState => ({ sql: editor.value, pgVersion: Number(version.value), inTransaction: transaction.checked });
  let runs = 0;
  const update = async (): Promise<void> => {
    const run = ++runs;
    const state = current();
    history.replaceState(null, '', fragmentOf(state));
    try {
      const result = await lintSql(state.sql, { rules: BUILT_IN_RULES, pgVersion: state.pgVersion, inTransaction: state.inTransaction });
      // A later edit's run wins: an earlier one that finishes last is dropped.
      if (run === runs) render(result, editor);
    } catch (error) {
      element('summary', HTMLElement).textContent = `The linter failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (run === runs) document.body.dataset.linted = String(run);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const soon = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void update(), 150);
  };
  editor.addEventListener('input', soon);
  version.addEventListener('change', () => void update());
  transaction.addEventListener('change', () => void update());
  window.addEventListener('hashchange', () => {
    if (location.hash !== fragmentOf(current())) {
      show(stateFromFragment(location.hash));
      void update();
    }
  });
  share.addEventListener('click', () => {
    void navigator.clipboard.writeText(location.href).then(
      () => (share.textContent = 'Link copied'),
      () => (share.textContent = 'Copy the address bar'),
    );
  });
  show(stateFromFragment(location.hash));
  void update();
}

start();
