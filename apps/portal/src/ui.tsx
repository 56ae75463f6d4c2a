import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, type Page } from './api';
import { href, onLinkClick } from './router';

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('No API client');
  return api;
}

export function Link(props: {
  to: string;
  children: ComponentChildren;
  class?: string;
  'aria-current'?: 'page';
}) {
  return (
    <a href={href(props.to)} class={props.class} aria-current={props['aria-current']} onClick={onLinkClick}>
      {props.children}
    </a>
  );
}

/**
 * The page's (or the step's) heading. It takes the focus when it appears and whenever `focusKey` changes, so a
 * screen reader announces where the admin now is and Tab continues from there.
 */
export function Heading(props: { children: ComponentChildren; focusKey?: string; level?: 1 | 2 }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [props.focusKey]);
  const Tag = props.level === 2 ? 'h2' : 'h1';
  return (
    <Tag ref={ref} tabIndex={-1} class="page-heading">
      {props.children}
    </Tag>
  );
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message}${e.requestId ? ` (request ${e.requestId})` : ''}`;
  return e instanceof Error ? e.message : String(e);
}

export function ErrorNote(props: { error: unknown }) {
  if (props.error == null) return null;
  return (
    <p class="error" role="alert">
      {errorText(props.error)}
    </p>
  );
}

/** Loads with the API when `deps` change; `reload()` loads again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return {
    ...state,
    reload: () => setTick((t) => t + 1),
    set: (data: T) => setState({ data, loading: false }),
  };
}

/**
 * A value with a copy button. Copies with the Clipboard API; where that is refused, selects the text so that
 * Ctrl+C copies it. Says so in a live region either way.
 */
export function CopyField(props: { label: string; value: string; id: string; secret?: boolean }) {
  const [message, setMessage] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setMessage(`${props.label} copied`);
    } catch {
      input.current?.select();
      setMessage('Copying was refused: the text is selected, press Ctrl+C (⌘C) to copy it');
    }
  };
  return (
    <div class="copy-field">
      <label for={props.id}>{props.label}</label>
      <div class="copy-row">
        <input
          id={props.id}
          ref={input}
          readOnly
          value={props.value}
          class={props.secret ? 'mono secret' : 'mono'}
          spellcheck={false}
          autoComplete="off"
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" onClick={() => void copy()} aria-describedby={`${props.id}-copied`}>
          Copy<span class="visually-hidden"> {props.label}</span>
        </button>
      </div>
      <p id={`${props.id}-copied`} class="copied" role="status" aria-live="polite">
        {message}
      </p>
    </div>
  );
}

export function formatTime(value: string | null | undefined): string {
  if (!value) return 'never';
  const d = new Date(value);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function Time(props: { value: string | null | undefined }) {
  if (!props.value) return <span>never</span>;
  return <time dateTime={props.value}>{formatTime(props.value)}</time>;
}

/** A scrollable table that keyboard users can reach and scroll (and that screen readers name). */
export function TableWrap(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}

/** Pages of a table, under it: Previous, "Page 2 of 3", Next (none when everything fits on one page). */
export function Pager(props: { label: string; page: number; pages: number; onPage: (p: number) => void }) {
  if (props.pages <= 1) return null;
  return (
    <nav class="pager" aria-label={`${props.label}: pages`}>
      <button type="button" disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>
        Previous<span class="visually-hidden"> page of {props.label.toLowerCase()}</span>
      </button>
      <span>
        Page {props.page} of {props.pages}
      </span>
      <button type="button" disabled={props.page >= props.pages} onClick={() => props.onPage(props.page + 1)}>
        Next<span class="visually-hidden"> page of {props.label.toLowerCase()}</span>
      </button>
    </nav>
  );
}

const TABLE_PAGE_SIZE = 25;

/**
 * A section with a heading ("People (27)"), a search form, a table and its pages, searched and paged by the
 * server through `load`. `title` names the section, the search form, the table's region and the pager. The
 * table loads again when the page or the applied search changes; a parent whose `load` reads anything else
 * keys the table by it.
 */
export function SearchableTable<T extends { id: string }>(props: {
  id: string;
  title: string;
  searchLabel: string;
  searchButton: string;
  columns: string[];
  load: (q: { q?: string; page: number; pageSize: number }) => Promise<Page<T>>;
  /** A row's cells, the first one its `<th scope="row">`. */
  row: (item: T) => ComponentChildren;
  empty: { none: string; noMatch: string };
}) {
  const [page, setPage] = useState(1);
  const [query, setQuery] = useState('');
  const [applied, setApplied] = useState('');
  const list = useLoad(
    () => props.load({ q: applied || undefined, page, pageSize: TABLE_PAGE_SIZE }),
    [page, applied],
  );
  const pages = list.data ? Math.max(1, Math.ceil(list.data.total / TABLE_PAGE_SIZE)) : 1;
  return (
    <section aria-labelledby={`${props.id}-heading`}>
      <h2 id={`${props.id}-heading`}>
        {props.title}
        {list.data ? ` (${list.data.total})` : ''}
      </h2>
      <form
        class="inline-form"
        role="search"
        aria-label={props.title}
        onSubmit={(e) => {
          e.preventDefault();
          setPage(1);
          setApplied(query.trim());
        }}
      >
        <div class="field">
          <label for={`${props.id}-search`}>{props.searchLabel}</label>
          <input
            id={`${props.id}-search`}
            type="search"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </div>
        <button type="submit">{props.searchButton}</button>
      </form>
      <ErrorNote error={list.error} />
      {list.data && (
        <TableWrap label={props.title}>
          <table>
            <thead>
              <tr>
                {props.columns.map((c) => (
                  <th scope="col" key={c}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((item) => (
                <tr key={item.id}>{props.row(item)}</tr>
              ))}
              {list.data.items.length === 0 && (
                <tr>
                  <td colSpan={props.columns.length}>{applied ? props.empty.noMatch : props.empty.none}</td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager label={props.title} page={page} pages={pages} onPage={setPage} />
    </section>
  );
}
