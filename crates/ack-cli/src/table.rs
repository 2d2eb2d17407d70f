//! Aligned text tables for people: columns padded to their widest cell (counted in characters,
//! so names in any script line up as well as a fixed-width terminal allows), two spaces apart,
//! no trailing blanks.

pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// A row; missing cells are empty, extra ones are dropped.
    pub fn row<S: ToString>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        let mut r: Vec<String> = cells
            .into_iter()
            .take(self.headers.len())
            .map(|c| c.to_string())
            .collect();
        r.resize(self.headers.len(), String::new());
        self.rows.push(r);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn render(&self) -> String {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(width(c));
            }
        }
        let mut out = String::new();
        for line in std::iter::once(&self.headers).chain(&self.rows) {
            let mut l = String::new();
            for (i, (c, w)) in line.iter().zip(&widths).enumerate() {
                if i > 0 {
                    l.push_str("  ");
                }
                l.push_str(c);
                l.extend(std::iter::repeat_n(' ', w - width(c)));
            }
            out.push_str(l.trim_end());
            out.push('\n');
        }
        out
    }
}

/// `key: value` lines with the values aligned, for one object's details.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let w = pairs
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in pairs {
        let pad = w - k.chars().count();
        let line = format!("{k}:{}  {v}", " ".repeat(pad));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_to_the_widest_cell_without_trailing_blanks() {
        let mut t = Table::new(&["NAME", "VERSION", "STATE"]);
        t.row(["metrics-server", "v0.3.9.5-aliyun", "active"]);
        t.row(["coredns", "v1.11", ""]);
        assert_eq!(
            t.render(),
            "NAME            VERSION          STATE\n\
             metrics-server  v0.3.9.5-aliyun  active\n\
             coredns         v1.11\n"
        );
    }

    #[test]
    fn width_counts_characters_and_rows_are_squared_up() {
        let mut t = Table::new(&["A", "B"]);
        t.row(["é日本", "x"]);
        t.row(["z"]);
        t.row(["1", "2", "3"]);
        let out = t.render();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines, ["A    B", "é日本  x", "z", "1    2"]);
        assert!(!t.is_empty() && Table::new(&["X"]).is_empty());
    }

    #[test]
    fn fields_align_their_values() {
        assert_eq!(
            fields(&[
                ("task_id", "T-1".into()),
                ("state", "running".into()),
                ("error", "".into())
            ]),
            "task_id:  T-1\nstate:    running\nerror:\n"
        );
    }
}
