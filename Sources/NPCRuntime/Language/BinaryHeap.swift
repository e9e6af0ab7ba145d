/// Elements that know which of two comes out of a heap first.
protocol HeapOrdered {
    static func comesFirst(_ a: Self, _ b: Self) -> Bool
}

/// A binary max-heap by `comesFirst`, reused across words without reallocating.
struct BinaryHeap<Element: HeapOrdered>: Sendable where Element: Sendable {
    private var items: [Element] = []

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    var count: Int { items.count }
    /// The element `pop` would return.
    var first: Element? { items.first }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Element.comesFirst(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < items.count && Element.comesFirst(items[left], items[best]) { best = left }
            if right < items.count && Element.comesFirst(items[right], items[best]) { best = right }
            if best == parent { break }
            items.swapAt(parent, best)
            parent = best
        }
        return top
    }
}
