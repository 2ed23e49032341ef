/* Query splitter for Chinese (kexue-book).
 *
 * The index holds the words jieba found; the browser has no jieba.  So a run
 * of Han characters in the query is segmented against the index's own words,
 * longest match first.  Single characters are never indexed (Sphinx keeps
 * words of two or more), so a lone unmatched character is dropped; a longer
 * unmatched stretch stays in the query, so that a word the book does not
 * contain gives no results rather than wrong ones.
 */
var splitQuery = (query) => {
  const parts = query
    .split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)
    .filter((term) => term);
  const index = typeof Search !== "undefined" ? Search._index : null;
  const has = (table, word) =>
    !!table && Object.prototype.hasOwnProperty.call(table, word);
  const known = (word) =>
    index !== null && (has(index.terms, word) || has(index.titleterms, word));
  const out = [];
  for (const part of parts) {
    for (const run of part.match(/\p{Script=Han}+|[^\p{Script=Han}]+/gu) || []) {
      if (!/\p{Script=Han}/u.test(run) || index === null || run.length < 2) {
        out.push(run);
        continue;
      }
      let i = 0;
      let unmatched = "";
      const flush = () => {
        if (unmatched.length >= 2) out.push(unmatched);
        unmatched = "";
      };
      while (i < run.length) {
        let end = 0;
        for (let j = Math.min(run.length, i + 12); j > i + 1; j--) {
          if (known(run.slice(i, j))) {
            end = j;
            break;
          }
        }
        if (end) {
          flush();
          out.push(run.slice(i, end));
          i = end;
        } else {
          unmatched += run[i];
          i += 1;
        }
      }
      flush();
    }
  }
  return out;
};
