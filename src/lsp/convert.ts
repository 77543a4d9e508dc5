import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic, TextEdit as LspTextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { CodeActionKind, DiagnosticSeverity } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding } from '../findings/finding.js';
import type { NewFile, Suggestion, TextEdit } from '../plugin/rule.js';
import { describeLock } from '../report/text.js';

export const SOURCE = 'migrate-safe';

/** The kind of the action that applies every unattended fix of a document (editors run it on save). */
export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.${SOURCE}`;

/**
 * A finding as an editor shows it. Ranges come from the finding's UTF-16 offsets (LSP positions
 * count UTF-16 units by default); the message carries the lock and the safe SQL, as the CLI's
 * text report does.
 */
export function diagnosticOf(finding: Finding, document: TextDocument, docsUrl: string | undefined): Diagnostic {
  const details = [finding.message];
  if (finding.lock) details.push(`lock: ${describeLock(finding.lock)}`);
  if (finding.help) details.push('', 'safe alternative:', finding.help);
  return {
    range: { start: document.positionAt(finding.offset), end: document.positionAt(finding.endOffset) },
    severity: finding.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: finding.ruleId,
    ...(docsUrl === undefined ? {} : { codeDescription: { href: docsUrl } }),
    source: SOURCE,
    message: details.join('\n'),
  };
}

/** A problem that is not a finding (a bad configuration, an unreadable earlier migration), at the top of the document. */
export function problemDiagnostic(message: string, severity: DiagnosticSeverity): Diagnostic {
  return { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity, source: SOURCE, message };
}

/** What the editor can apply: edits for a document's version (`documentChanges`), new files (`resourceOperations`). */
export interface EditSupport {
  readonly versioned: boolean;
  readonly createsFiles: boolean;
}

/**
 * The fix (preferred) and the suggestions of a finding, as quick fixes of its diagnostic. A
 * suggestion that creates a file is offered only to an editor that can create one, and only
 * where the path is absolute (a plugin written in JavaScript can pass anything).
 */
export function quickFixes(finding: Finding, diagnostic: Diagnostic, document: TextDocument, support: EditSupport): CodeAction[] {
  const fixes: [Suggestion, boolean][] = [...(finding.fix ? [[finding.fix, true] as [Suggestion, boolean]] : []), ...(finding.suggestions ?? []).map((suggestion): [Suggestion, boolean] => [suggestion, false])];
  return fixes
    .filter(([fix]) => fix.createFile === undefined || (support.createsFiles && isAbsolute(fix.createFile.path)))
    .map(([fix, preferred]) => ({
      title: fix.title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred: preferred,
      edit: fix.createFile ? withNewFile(document, fix.edits.map((edit) => lspEdit(document, edit)), fix.createFile) : workspaceEdit(document, fix.edits.map((edit) => lspEdit(document, edit)), support.versioned),
    }));
}

function lspEdit(document: TextDocument, edit: TextEdit): LspTextEdit {
  return { range: { start: document.positionAt(edit.start), end: document.positionAt(edit.end) }, newText: edit.text };
}

/**
 * Edits of a document. `versioned` (the client supports `documentChanges`): for the version they
 * were computed for, so an editor refuses them once the text moved on.
 */
export function workspaceEdit(document: TextDocument, edits: LspTextEdit[], versioned: boolean): WorkspaceEdit {
  if (!versioned) return { changes: { [document.uri]: edits } };
  return { documentChanges: [{ textDocument: { uri: document.uri, version: document.version }, edits }] };
}

/**
 * A new file with its text, then the document's own edits, if any. Without `overwrite` or
 * `ignoreIfExists`, an editor refuses the whole edit when the file exists by then: a rollback
 * someone wrote meanwhile is never replaced, nor the draft added to it.
 */
function withNewFile(document: TextDocument, edits: LspTextEdit[], file: NewFile): WorkspaceEdit {
  const uri = pathToFileURL(file.path).href;
  const start = { line: 0, character: 0 };
  return {
    documentChanges: [
      { kind: 'create', uri },
      { textDocument: { uri, version: null }, edits: [{ range: { start, end: start }, newText: file.text }] },
      ...(edits.length > 0 ? [{ textDocument: { uri: document.uri, version: document.version }, edits }] : []),
    ],
  };
}
