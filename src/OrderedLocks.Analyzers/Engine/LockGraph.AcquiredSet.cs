using System;

namespace OrderedLocks.Analyzers.Engine;

internal sealed partial class LockGraph
{
    /// <summary>
    /// One method's acquired set: <see cref="LockRef"/> → <see cref="AcquiredVia"/>, enumerated in the
    /// order entries were first added (a later write keeps an entry's place), as a
    /// <c>Dictionary</c> without removals is.
    /// </summary>
    /// <remarks>
    /// Not a <c>Dictionary&lt;LockRef, AcquiredVia&gt;</c>: the analyzer ships precompiled
    /// (ReadyToRun), but the runtime's generic collections over a struct of this assembly cannot be
    /// precompiled with it, so the compiler's process JIT-compiled them in every build and, with its
    /// tiering delay kept long by its own JIT work, ran them as unoptimised code for the whole graph
    /// (measured on NLog: docs/analyzers/performance.md). This table is code of this assembly.
    /// </remarks>
    private sealed class AcquiredSet
    {
        private int[] _buckets;
        private Entry[] _entries;

        public AcquiredSet(int capacity = 4)
        {
            int size = 4;
            while (size < capacity)
            {
                size <<= 1;
            }

            _buckets = new int[size];
            _entries = new Entry[size];
        }

        public int Count { get; private set; }

        /// <summary>The value of <paramref name="key"/>; when there is none, false (and a null <paramref name="value"/>, which callers never read).</summary>
        public bool TryGetValue(LockRef key, out AcquiredVia value)
        {
            int index = Find(key, key.GetHashCode());
            value = index >= 0 ? _entries[index].Value : null!;
            return index >= 0;
        }

        /// <summary>Adds the entry, or replaces the value of the one with the same key (keeping its place).</summary>
        public void Set(LockRef key, AcquiredVia value)
        {
            int hash = key.GetHashCode();
            int index = Find(key, hash);
            if (index >= 0)
            {
                _entries[index].Value = value;
                return;
            }

            if (Count == _entries.Length)
            {
                Grow();
            }

            int bucket = hash & (_buckets.Length - 1);
            _entries[Count] = new Entry(key, value, hash, _buckets[bucket] - 1);
            _buckets[bucket] = Count + 1;
            Count++;
        }

        /// <summary>The keys, in the set's order.</summary>
        public LockRef[] Keys()
        {
            var keys = new LockRef[Count];
            for (int i = 0; i < Count; i++)
            {
                keys[i] = _entries[i].Key;
            }

            return keys;
        }

        public Enumerator GetEnumerator() => new(this);

        private int Find(LockRef key, int hash)
        {
            for (int i = _buckets[hash & (_buckets.Length - 1)] - 1; i >= 0; i = _entries[i].Next)
            {
                if (_entries[i].Hash == hash && _entries[i].Key.Equals(key))
                {
                    return i;
                }
            }

            return -1;
        }

        private void Grow()
        {
            var entries = new Entry[_entries.Length * 2];
            Array.Copy(_entries, entries, Count);
            var buckets = new int[entries.Length];
            for (int i = 0; i < Count; i++)
            {
                int bucket = entries[i].Hash & (buckets.Length - 1);
                entries[i].Next = buckets[bucket] - 1;
                buckets[bucket] = i + 1;
            }

            _entries = entries;
            _buckets = buckets;
        }

        /// <summary>Entries in the set's order.</summary>
        public struct Enumerator
        {
            private readonly AcquiredSet _set;
            private int _index;

            public Enumerator(AcquiredSet set)
            {
                _set = set;
                _index = -1;
            }

            public AcquiredEntry Current => new(_set._entries[_index].Key, _set._entries[_index].Value);

            public bool MoveNext() => ++_index < _set.Count;
        }

        private struct Entry
        {
            public Entry(LockRef key, AcquiredVia value, int hash, int next)
            {
                Key = key;
                Value = value;
                Hash = hash;
                Next = next;
            }

            public LockRef Key;
            public AcquiredVia Value;
            public int Hash;

            // The previous entry of the same bucket (-1: none); a bucket holds its last entry + 1.
            public int Next;
        }
    }

    /// <summary>One entry of an <see cref="AcquiredSet"/>.</summary>
    private readonly struct AcquiredEntry
    {
        public AcquiredEntry(LockRef key, AcquiredVia value)
        {
            Key = key;
            Value = value;
        }

        public LockRef Key { get; }

        public AcquiredVia Value { get; }
    }

    /// <summary>A growable list of <see cref="LockRef"/> (the changed-entry logs of recursive components), for the same reason as <see cref="AcquiredSet"/>.</summary>
    private sealed class LockRefLog
    {
        private LockRef[] _items;

        public LockRefLog(LockRef[] initial)
        {
            _items = initial.Length > 0 ? initial : new LockRef[4];
            Count = initial.Length;
        }

        public int Count { get; private set; }

        public LockRef this[int index] => _items[index];

        public void Add(LockRef item)
        {
            if (Count == _items.Length)
            {
                var items = new LockRef[_items.Length * 2];
                Array.Copy(_items, items, Count);
                _items = items;
            }

            _items[Count++] = item;
        }
    }
}
