import Foundation

/// Agreement between two labellings of the same items, as scikit-learn computes them (every label
/// value a group, −1 included): adjusted mutual information with arithmetic normalisation
/// (Vinh, Epps & Bailey 2010) and the adjusted Rand index (Hubert & Arabie 1985).
public enum ClusterAgreement {
    /// The contingency table of two labellings: row and column totals and the non-zero cells.
    struct Contingency {
        let n: Int
        let rows: [Int]
        let cols: [Int]
        let cells: [(row: Int, col: Int, count: Int)]

        init<A: Hashable, B: Hashable>(_ a: [A], _ b: [B]) {
            precondition(a.count == b.count)
            var rowIndex = [A: Int](), colIndex = [B: Int](), counts = [Int: Int]()
            var rows = [Int](), cols = [Int]()
            for (x, y) in zip(a, b) {
                let r = rowIndex[x] ?? { rowIndex[x] = rows.count; rows.append(0); return rows.count - 1 }()
                let c = colIndex[y] ?? { colIndex[y] = cols.count; cols.append(0); return cols.count - 1 }()
                rows[r] += 1
                cols[c] += 1
                counts[r * a.count + c, default: 0] += 1
            }
            n = a.count
            self.rows = rows
            self.cols = cols
            cells = counts.keys.sorted().map { key in (key / a.count, key % a.count, counts[key]!) }
        }
    }

    /// AMI = (MI − E[MI]) / (½(H(a) + H(b)) − E[MI]); 1 when neither labelling splits the items.
    public static func adjustedMutualInformation<A: Hashable, B: Hashable>(_ a: [A], _ b: [B]) -> Double {
        let t = Contingency(a, b)
        if t.rows.count == t.cols.count && t.rows.count <= 1 { return 1 }
        let mi = mutualInformation(t), emi = expectedMutualInformation(t)
        let normaliser = (entropy(t.rows, n: t.n) + entropy(t.cols, n: t.n)) / 2
        var denominator = normaliser - emi
        denominator = denominator < 0 ? min(denominator, -Double.ulpOfOne) : max(denominator, Double.ulpOfOne)
        return (mi - emi) / denominator
    }

    /// ARI from the pair confusion matrix: 2(tp·tn − fn·fp) / ((tp+fn)(fn+tn) + (tp+fp)(fp+tn)).
    public static func adjustedRandIndex<A: Hashable, B: Hashable>(_ a: [A], _ b: [B]) -> Double {
        let t = Contingency(a, b)
        let n = t.n
        let squares = t.cells.reduce(0) { $0 + $1.count * $1.count }
        let tp = squares - n
        let fp = t.cells.reduce(0) { $0 + $1.count * t.cols[$1.col] } - squares
        let fn = t.cells.reduce(0) { $0 + $1.count * t.rows[$1.row] } - squares
        let tn = n * n - fp - fn - squares
        if fn == 0 && fp == 0 { return 1 }
        let (dtp, dtn, dfp, dfn) = (Double(tp), Double(tn), Double(fp), Double(fn))
        return 2 * (dtp * dtn - dfn * dfp) / ((dtp + dfn) * (dfn + dtn) + (dtp + dfp) * (dfp + dtn))
    }

    static func entropy(_ counts: [Int], n: Int) -> Double {
        guard n > 0 else { return 0 }
        let logN = log(Double(n))
        return -counts.reduce(0.0) { $0 + ($1 > 0 ? Double($1) / Double(n) * (log(Double($1)) - logN) : 0) }
    }

    static func mutualInformation(_ t: Contingency) -> Double {
        let n = Double(t.n), logN = log(n)
        var sum = 0.0
        for cell in t.cells {
            let p = Double(cell.count) / n
            let outer = Double(t.rows[cell.row]) * Double(t.cols[cell.col])
            let term = p * (log(Double(cell.count)) - logN) + p * (-log(outer) + 2 * logN)
            sum += abs(term) < Double.ulpOfOne ? 0 : term
        }
        return max(0, sum)
    }

    /// E[MI] under the hypergeometric model of random labellings with the same group sizes
    /// (Vinh et al. 2010, eq. 24a), in log-gamma form.
    static func expectedMutualInformation(_ t: Contingency) -> Double {
        guard t.rows.count > 1, t.cols.count > 1 else { return 0 }
        let n = t.n, dn = Double(n)
        func lg(_ x: Int) -> Double { lgamma(Double(x)) }
        let lgN1 = lg(n + 1)
        var emi = 0.0
        for a in t.rows {
            let partA = lg(a + 1) + lg(n - a + 1)
            for b in t.cols {
                let part = partA + lg(b + 1) + lg(n - b + 1) - lgN1
                let logAB = log(Double(a)) + log(Double(b))
                for nij in max(1, a - n + b)...min(a, b) {
                    let dnij = Double(nij)
                    let term2 = log(dn) + log(dnij) - logAB
                    let gln = part - lg(nij + 1) - lg(a - nij + 1) - lg(b - nij + 1) - lg(n - a - b + nij + 1)
                    emi += dnij / dn * term2 * exp(gln)
                }
            }
        }
        return emi
    }
}
