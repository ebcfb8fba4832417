//! Long tables: only the rows in view, plus an overscan, are built. Two spacer
//! rows stand for the rest, so the page keeps its full height, the document's own
//! scrollbar moves over the whole list (no inner scrollbar), and assistive
//! technology hears the real size through `aria-rowcount` / `aria-rowindex`.
//!
//! The technique is the one `leptos-struct-table` and TanStack Virtual use: the
//! spacers' heights come from the measured height of the rows built. That crate
//! scrolls an inner container and builds rows from a derived struct; our pages
//! keep their own row components, each with its own signals, inside the page's
//! scroll, so the windowing is this one small component instead.
//!
//! Lists up to [`WHOLE_UP_TO`] rows are built whole, with no indexes or spacers,
//! exactly as before.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::hooks::query_signal_with_options;
use leptos_router::NavigateOptions;
use wasm_bindgen::JsCast;

use crate::state::store::Row;

/// Lists this long or shorter are built whole.
pub const WHOLE_UP_TO: usize = 150;
/// Rows built beyond each edge of the viewport, so a quick scroll or a
/// PageDown shows rows already there.
const OVERSCAN: usize = 12;
/// The rows' height before one has been measured (CSS: one line, 0.6 rem padding).
const FIRST_GUESS_PX: f64 = 41.0;

/// Is this list long enough to be windowed?
pub fn is_long(total: usize) -> bool {
    total > WHOLE_UP_TO
}

/// `aria-rowcount` for a table of `total` rows under one header row, on long
/// lists only (a short table has every row in the DOM already).
pub fn aria_rowcount(total: usize) -> Option<String> {
    is_long(total).then(|| (total + 1).to_string())
}

/// The rows to build, `start..end` of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// The rows whose boxes meet the viewport, widened by the overscan. `top` is the
/// viewport's top measured from the first row's top (negative while the table
/// starts below it), `height` the viewport's height.
pub fn span(total: usize, row_px: f64, top: f64, height: f64) -> Span {
    if !is_long(total) {
        return Span { start: 0, end: total };
    }
    let row_px = row_px.max(1.0);
    let first = (top / row_px).floor().max(0.0) as usize;
    let last = ((top + height.max(0.0)) / row_px).ceil().max(0.0) as usize;
    let start = first.saturating_sub(OVERSCAN).min(total);
    let end = last.saturating_add(OVERSCAN).min(total).max(start);
    Span { start, end }
}

/// One piece of a windowed body, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A spacer standing for `rows` rows from index `from`.
    Gap { from: usize, rows: usize },
    /// The row at this index of the list.
    Row(usize),
}

/// The body's pieces: the rows of `span`, the row at `keep` (it holds focus)
/// wherever it is, and a gap for every run of rows between them.
pub fn pieces(total: usize, span: Span, keep: Option<usize>) -> Vec<Piece> {
    let mut built: Vec<usize> = (span.start..span.end.min(total)).collect();
    if let Some(k) = keep.filter(|k| *k < total && !(span.start..span.end).contains(k)) {
        let at = built.partition_point(|i| *i < k);
        built.insert(at, k);
    }
    let mut out = Vec::with_capacity(built.len() + 3);
    let mut next = 0;
    for i in built {
        if i > next {
            out.push(Piece::Gap { from: next, rows: i - next });
        }
        out.push(Piece::Row(i));
        next = i + 1;
    }
    if total > next {
        out.push(Piece::Gap { from: next, rows: total - next });
    }
    out
}

/// Where the user left each page's long table: the document's scroll position,
/// recorded from scroll events while the table is on screen, and put back when
/// the user comes back to the page (Back, or a link).
#[derive(Clone, Copy)]
pub struct ScrollPlaces(StoredValue<HashMap<String, Left>, LocalStorage>);

/// Where a page's long table was left: the document's scroll position and the
/// rows' measured height (so the body comes back at its full height at once).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Left {
    y: f64,
    row_px: f64,
}

impl ScrollPlaces {
    pub fn provide() {
        provide_context(ScrollPlaces(StoredValue::new_local(HashMap::new())));
    }
}

/// The filter of a list page, kept in the URL (`?q=`) so a link or Back
/// reproduces the view; typing replaces the history entry instead of adding one.
#[derive(Clone, Copy)]
pub struct ListFilter {
    query: Memo<Option<String>>,
    set: SignalSetter<Option<String>>,
}

impl ListFilter {
    pub fn from_url() -> ListFilter {
        let options = NavigateOptions { replace: true, scroll: false, ..Default::default() };
        let (query, set) = query_signal_with_options::<String>("q", options);
        ListFilter { query, set }
    }

    /// What was typed, as typed.
    pub fn text(&self) -> String {
        self.query.get().unwrap_or_default()
    }

    /// What to match: trimmed and lower-cased; empty matches everything.
    pub fn needle(&self) -> String {
        self.query.with(|q| q.as_deref().unwrap_or_default().trim().to_lowercase())
    }

    pub fn set(&self, text: String) {
        self.set.set(Some(text).filter(|t| !t.is_empty()));
    }
}

/// The search box of a [`ListFilter`], over every row of the list.
#[component]
pub fn FilterBox(
    filter: ListFilter,
    /// The input's id.
    id: &'static str,
    /// Its accessible name ("Filter ports").
    label: &'static str,
    placeholder: &'static str,
) -> impl IntoView {
    view! {
        <div class="filters">
            <label for=id class="visually-hidden">{label}</label>
            <input id=id type="search" placeholder=placeholder autocomplete="off"
                prop:value=move || filter.text()
                on:input=move |ev| filter.set(event_target_value(&ev)) />
        </div>
    }
}

/// The `<For>` key of a piece.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Gap(usize, usize),
    Row(usize, String, bool),
}

/// What a row's view is told about its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    /// Its index in the list (0-based).
    pub index: usize,
    /// `aria-rowindex` (1-based, after the header row), on long lists only.
    pub aria_rowindex: Option<usize>,
}

/// A `<tbody>` that builds only the rows in view once `rows` is long. `row`
/// builds one row's `<tr>`, which must carry `aria-rowindex` from its [`Place`]
/// (the body finds the focused row by it). `columns` is the table's column count,
/// for the spacers.
#[component]
pub fn LongBody<T, F, V>(rows: Signal<Vec<Row<T>>>, columns: usize, row: F) -> impl IntoView
where
    T: Send + Sync + 'static,
    F: Fn(Row<T>, Place) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let body = NodeRef::<leptos::html::Tbody>::new();
    let places = use_context::<ScrollPlaces>();
    // The page's path, from the browser (the body works outside a router too).
    let path = window().location().pathname().unwrap_or_default();
    let left = places.and_then(|p| p.0.with_value(|m| m.get(&path).copied()));
    let row_px = RwSignal::new(left.map_or(FIRST_GUESS_PX, |l| l.row_px));
    // The viewport relative to the body: (top from the first row, height).
    let viewport = RwSignal::new((0.0_f64, 900.0_f64));
    // The row holding focus (index, id): kept built while it is off screen, so
    // scrolling away and back leaves the focused control where it was.
    let keep = RwSignal::new(None::<(usize, String)>);
    // The focused element itself: when rows around it are moved, the browser may
    // drop its focus (to the body), and the body gives it back.
    let focused = StoredValue::new_local(None::<web_sys::HtmlElement>);
    let total = Memo::new(move |_| rows.with(Vec::len));

    // `try_` reads throughout: a frame callback can come after the table is gone.
    let measure = move || {
        if !total.try_get_untracked().is_some_and(is_long) {
            return;
        }
        let Some(el) = body.try_get_untracked().flatten() else { return };
        let height = window().inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(900.0);
        let next = (-el.get_bounding_client_rect().top(), height);
        if viewport.try_get_untracked().is_some_and(|v| v != next) {
            viewport.set(next);
        }
    };
    // Give focus back to the focused row's control if moving rows dropped it.
    let refocus = move || {
        let Some(el) = focused.try_get_value().flatten() else { return };
        let doc = document();
        let dropped =
            doc.active_element().is_none_or(|a| doc.body().is_some_and(|b| a == *b.as_ref()));
        if dropped && el.is_connected() {
            let options = web_sys::FocusOptions::new();
            options.set_prevent_scroll(true);
            let _ = el.focus_with_options(&options);
        }
    };
    let on_scroll = window_event_listener(leptos::ev::scroll, move |_| measure());
    let on_resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || {
        on_scroll.remove();
        on_resize.remove();
    });

    let span = Memo::new(move |_| {
        let (top, height) = viewport.get();
        span(total.get(), row_px.get(), top, height)
    });
    let pieces = Memo::new(move |_| {
        let keep = keep.with(|k| {
            let (index, id) = k.as_ref()?;
            rows.with(|rows| {
                if rows.get(*index).is_some_and(|r| &r.id == id) {
                    Some(*index)
                } else {
                    rows.iter().position(|r| &r.id == id)
                }
            })
        });
        pieces(total.get(), span.get(), keep)
    });

    // After each change of the rows built: measure their height (the spacers
    // follow it), and the viewport once the body is first in the document.
    // In the next frame, once the DOM has the rows: effects and the rows'
    // own rendering run in no fixed order.
    let after_render = move || {
        let Some(el) = body.try_get_untracked().flatten() else { return };
        let Ok(built) = el.query_selector_all(":scope > tr[aria-rowindex]") else { return };
        let (mut sum, mut n) = (0.0, 0.0);
        for i in 0..built.length() {
            // The layout's own height: `offsetHeight` rounds 52.75 px to 53,
            // and 50,000 rounded rows add up.
            if let Some(tr) = built.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) {
                sum += tr.get_bounding_client_rect().height();
                n += 1.0;
            }
        }
        if n > 0.0 {
            let avg = sum / n;
            if row_px.try_get_untracked().is_some_and(|px| (avg - px).abs() > 0.1) {
                row_px.set(avg);
            }
        }
        measure();
        refocus();
    };
    Effect::new(move |_| {
        pieces.track();
        if body.get().is_some() {
            request_animation_frame(after_render);
        }
    });

    // Coming back to the page: put the scroll position back once the list is
    // long and in (in the next frame, when the body has its height), and record
    // it from then on.
    let restored = StoredValue::new(false);
    Effect::new(move |_| {
        if restored.get_value() || !is_long(total.get()) || body.get().is_none() {
            return;
        }
        restored.set_value(true);
        if let Some(y) = left.map(|l| l.y).filter(|y| *y > 0.0) {
            request_animation_frame(move || {
                window().scroll_to_with_x_and_y(0.0, y);
                measure();
            });
        }
    });
    let record = window_event_listener(leptos::ev::scroll, move |_| {
        // Only while this page is the one in the address bar: a link's
        // navigation pushes the next URL, then scrolls to the top, before this
        // page is gone.
        let here = window().location().pathname().is_ok_and(|p| p == path);
        if !here || !restored.try_get_value().unwrap_or(false) {
            return;
        }
        if let (Some(places), Ok(y), Some(row_px)) =
            (places, window().scroll_y(), row_px.try_get_untracked())
        {
            places.0.update_value(|m| {
                m.insert(path.clone(), Left { y, row_px });
            });
        }
    });
    on_cleanup(move || record.remove());

    // Track the focused row by its `aria-rowindex`; forget it when focus goes
    // somewhere outside the table's body, or the user points elsewhere.
    let forget = move || {
        focused.set_value(None);
        if keep.get_untracked().is_some() {
            keep.set(None);
        }
    };
    let on_focusin = move |ev: web_sys::FocusEvent| {
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
        focused.set_value(target.clone());
        let index = target
            .and_then(|e| e.closest("tr[aria-rowindex]").ok().flatten())
            .and_then(|tr| tr.get_attribute("aria-rowindex"))
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| i.checked_sub(2));
        let kept = index.and_then(|i| rows.with_untracked(|r| r.get(i).map(|r| (i, r.id.clone()))));
        if keep.get_untracked() != kept {
            keep.set(kept);
        }
    };
    let on_focusout = move |ev: web_sys::FocusEvent| {
        let inside = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            .is_some_and(|n| body.get_untracked().is_some_and(|b| b.contains(Some(&n))));
        // No related target: focus left the page, or a row around it moved.
        if !inside && ev.related_target().is_some() {
            forget();
        }
    };
    let pointed = window_event_listener(leptos::ev::pointerdown, move |ev| {
        let inside = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            .is_some_and(|n| body.get_untracked().is_some_and(|b| b.contains(Some(&n))));
        if !inside {
            forget();
        }
    });
    on_cleanup(move || pointed.remove());

    let key = move |p: &Piece| match *p {
        // A gap is rebuilt when it moves or changes size: one cheap `<tr>`.
        Piece::Gap { from, rows } => Key::Gap(from, rows),
        // A row is rebuilt when its index changes (its `aria-rowindex` with it).
        Piece::Row(i) => Key::Row(
            i,
            rows.with_untracked(|r| r.get(i).map(|r| r.id.clone()).unwrap_or_default()),
            is_long(total.get_untracked()),
        ),
    };
    view! {
        <tbody node_ref=body on:focusin=on_focusin on:focusout=on_focusout>
            <For each=move || pieces.get() key=key let:piece>
                {match piece {
                    Piece::Gap { rows: n, .. } => {
                        // Whole pixels: no float formatting in the bundle. Set through
                        // the CSSOM (`style:`): the CSP refuses inline style attributes.
                        let height = move || format!("{}px", (n as f64 * row_px.get()).round() as u64);
                        view! {
                            <tr class="spacer" aria-hidden="true">
                                <td colspan=columns style:height=height></td>
                            </tr>
                        }.into_any()
                    }
                    Piece::Row(i) => match rows.with_untracked(|r| r.get(i).cloned()) {
                        Some(r) => {
                            let place = Place { index: i, aria_rowindex: is_long(total.get_untracked()).then_some(i + 2) };
                            row(r, place).into_any()
                        }
                        None => ().into_any(),
                    },
                }}
            </For>
        </tbody>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lists_are_built_whole() {
        assert_eq!(span(150, 40.0, 5000.0, 800.0), Span { start: 0, end: 150 });
        assert_eq!(
            pieces(3, span(3, 40.0, 0.0, 800.0), None),
            vec![Piece::Row(0), Piece::Row(1), Piece::Row(2)]
        );
        assert_eq!(aria_rowcount(150), None);
        assert_eq!(aria_rowcount(151).as_deref(), Some("152"));
    }

    #[test]
    fn the_window_is_the_rows_in_view_and_the_overscan() {
        // Rows of 40 px, an 800 px viewport 4,000 px down: rows 100..120 in view.
        let s = span(5000, 40.0, 4000.0, 800.0);
        assert_eq!(s, Span { start: 100 - OVERSCAN, end: 120 + OVERSCAN });
        // Above the table: the first rows that can come into view.
        assert_eq!(span(5000, 40.0, -300.0, 800.0), Span { start: 0, end: 13 + OVERSCAN });
        // Past the end: nothing beyond the last row.
        let end = span(5000, 40.0, 400_000.0, 800.0);
        assert_eq!((end.start, end.end), (5000, 5000));
        let last = span(5000, 40.0, 5000.0 * 40.0 - 800.0, 800.0);
        assert_eq!(last.end, 5000);
    }

    #[test]
    fn gaps_stand_for_every_row_not_built() {
        let s = Span { start: 100, end: 130 };
        let p = pieces(5000, s, None);
        assert_eq!(p.first(), Some(&Piece::Gap { from: 0, rows: 100 }));
        assert_eq!(p.last(), Some(&Piece::Gap { from: 130, rows: 4870 }));
        assert_eq!(p.len(), 32);
        let rows: usize = p
            .iter()
            .map(|p| match p {
                Piece::Gap { rows, .. } => *rows,
                Piece::Row(_) => 1,
            })
            .sum();
        assert_eq!(rows, 5000);
        // At the top there is no gap before the first row.
        assert_eq!(pieces(5000, Span { start: 0, end: 10 }, None)[0], Piece::Row(0));
    }

    #[test]
    fn the_focused_row_stays_built_in_its_place() {
        let p = pieces(5000, Span { start: 100, end: 102 }, Some(3000));
        assert_eq!(
            p,
            vec![
                Piece::Gap { from: 0, rows: 100 },
                Piece::Row(100),
                Piece::Row(101),
                Piece::Gap { from: 102, rows: 2898 },
                Piece::Row(3000),
                Piece::Gap { from: 3001, rows: 1999 }
            ]
        );
        let before = pieces(5000, Span { start: 100, end: 102 }, Some(0));
        assert_eq!(before[..3], [Piece::Row(0), Piece::Gap { from: 1, rows: 99 }, Piece::Row(100)]);
        // Inside the window, or gone from the list: nothing extra.
        assert_eq!(pieces(5000, Span { start: 100, end: 102 }, Some(101)).len(), 4);
        assert_eq!(pieces(50, Span { start: 0, end: 50 }, Some(70)).len(), 50);
    }
}
