using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.Text;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Whole-word searches in source text: a cheap test that a tree (or a span of it) can contain a construct, before any syntax node is visited.</summary>
internal static class SourceWords
{
    /// <summary>How much text the searches copy out at a time.</summary>
    internal const int ChunkSize = 4096;

    /// <summary>True when <paramref name="word"/> occurs in <paramref name="text"/> (within <paramref name="span"/>) not as part of a longer identifier.</summary>
    public static bool Contains(SourceText text, string word, TextSpan? span = null)
    {
        TextSpan range = span ?? new TextSpan(0, text.Length);
        char[] buffer = new char[ChunkSize + word.Length + 1];

        // Each chunk overlaps the previous one by the word's length plus one character, so a word
        // across a chunk boundary is seen whole in the next chunk. A word at the very start of a
        // chunk counts as whole (the test may say yes too often, never no wrongly).
        int overlap = word.Length + 1;
        for (int start = range.Start; start < range.End; start += ChunkSize)
        {
            int from = start == range.Start ? start : start - overlap;
            int count = System.Math.Min(range.End, start + ChunkSize) - from;
            text.CopyTo(from, buffer, 0, count);
            if (IndexOfWord(buffer, count, word) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The start positions, in order, of every run of identifier characters (letters, digits, <c>_</c>)
    /// in <paramref name="text"/> that is exactly <paramref name="word"/>: every place a keyword or
    /// identifier <paramref name="word"/> can start (comments and strings included).
    /// </summary>
    public static int[] Positions(SourceText text, string word) => Positions(text, new WordSet(new[] { word }));

    /// <summary>
    /// The start positions, in order, of every run of identifier characters in <paramref name="text"/>
    /// that is exactly one of <paramref name="words"/>.
    /// </summary>
    public static int[] Positions(SourceText text, WordSet words)
        // Roslyn keeps a text of up to 40K characters as one string (ToString returns it, no copy):
        // that is searched with the runtime's vectorised IndexOf, one pass per first letter of the
        // words. A longer text is kept in chunks (ToString would copy it, onto the large object
        // heap): it is read through the copy buffer, character by character.
        => text.Length <= MaxStringText ? PositionsInString(text.ToString(), words) : PositionsByRuns(text, words);

    /// <summary>The length up to which a file's text is one string in Roslyn (its large-text threshold).</summary>
    internal const int MaxStringText = 40 * 1024;

    /// <summary><see cref="Positions(SourceText, WordSet)"/> over a string: a search for each first letter, then a whole-word test where it occurs.</summary>
    internal static int[] PositionsInString(string text, WordSet words)
    {
        bool[] ascii = s_asciiIdentifier;
        List<int>? positions = null;
        foreach (char first in words.FirstLetters)
        {
            string[] candidates = words.ByFirstLetter[first];
            for (int i = text.IndexOf(first); i >= 0; i = i + 1 < text.Length ? text.IndexOf(first, i + 1) : -1)
            {
                if (i > 0 && IsIdentifierCharacter(text[i - 1], ascii))
                {
                    continue;
                }

                foreach (string word in candidates)
                {
                    int end = i + word.Length;
                    if (end <= text.Length && string.CompareOrdinal(text, i, word, 0, word.Length) == 0
                        && (end == text.Length || !IsIdentifierCharacter(text[end], ascii)))
                    {
                        (positions ??= new List<int>()).Add(i);
                        break;
                    }
                }
            }
        }

        if (positions is null)
        {
            return System.Array.Empty<int>();
        }

        // One pass per first letter: back into the order of the text.
        positions.Sort();
        return positions.ToArray();
    }

    private static bool IsIdentifierCharacter(char c, bool[] ascii) => c < 128 ? ascii[c] : char.IsLetterOrDigit(c);

    /// <summary><see cref="Positions(SourceText, WordSet)"/> through the copy buffer: runs of identifier characters compared with the words.</summary>
    /// <remarks>
    /// Every long text passes through here once per compilation, so the loop stays in this
    /// assembly: ASCII characters are classified by a table (a call into the runtime's
    /// <see cref="char.IsLetterOrDigit(char)"/> per character cannot be inlined into precompiled
    /// code), a run whose first character starts none of the words is skipped without being
    /// compared, and the copy buffer is reused by the thread instead of allocated per file.
    /// </remarks>
    internal static int[] PositionsByRuns(SourceText text, WordSet words)
    {
        string[][] wordsByLength = words.ByLength;
        bool[] starts = words.Starts;

        // In locals: precompiled code reads a static field through the class's statics base on
        // every access, once per character here.
        bool[] ascii = s_asciiIdentifier;
        int maxLength = wordsByLength.Length - 1;
        List<int>? positions = null;
        char[] buffer = t_buffer ??= new char[ChunkSize];
        char[] run = new char[maxLength];
        int runStart = -1;
        int runLength = 0;
        bool candidate = false;
        for (int start = 0; start < text.Length; start += ChunkSize)
        {
            int count = System.Math.Min(ChunkSize, text.Length - start);
            text.CopyTo(start, buffer, 0, count);
            for (int i = 0; i < count; i++)
            {
                char c = buffer[i];
                if (IsIdentifierCharacter(c, ascii))
                {
                    if (runStart < 0)
                    {
                        runStart = start + i;
                        runLength = 0;
                        candidate = c < 128 && starts[c];
                    }

                    if (candidate && runLength < maxLength)
                    {
                        run[runLength] = c;
                    }

                    runLength++;
                }
                else if (runStart >= 0)
                {
                    if (candidate && IsOneOf(run, runLength, wordsByLength))
                    {
                        (positions ??= new List<int>()).Add(runStart);
                    }

                    runStart = -1;
                }
            }
        }

        if (runStart >= 0 && candidate && IsOneOf(run, runLength, wordsByLength))
        {
            (positions ??= new List<int>()).Add(runStart);
        }

        return positions is null ? System.Array.Empty<int>() : positions.ToArray();
    }

    [System.ThreadStatic]
    private static char[]? t_buffer;

    // Letters, digits and '_' among the ASCII characters: what char.IsLetterOrDigit(c) || c == '_' says for them.
    private static readonly bool[] s_asciiIdentifier = AsciiIdentifierTable();

    private static bool[] AsciiIdentifierTable()
    {
        var table = new bool[128];
        for (int c = 0; c < table.Length; c++)
        {
            table[c] = char.IsLetterOrDigit((char)c) || c == '_';
        }

        return table;
    }

    /// <summary>Words to search for, arranged once for <see cref="Positions(SourceText, WordSet)"/>.</summary>
    internal sealed class WordSet
    {
        public WordSet(IEnumerable<string> words)
        {
            string[] distinct = words.Distinct(System.StringComparer.Ordinal).ToArray();
            ByLength = new string[distinct.Max(w => w.Length) + 1][];
            for (int length = 0; length < ByLength.Length; length++)
            {
                ByLength[length] = distinct.Where(w => w.Length == length).ToArray();
            }

            Starts = new bool[128];
            ByFirstLetter = new string[128][];
            var firstLetters = new List<char>();
            foreach (string word in distinct)
            {
                if (word.Length > 0 && word[0] < 128)
                {
                    Starts[word[0]] = true;
                    if (ByFirstLetter[word[0]] is null)
                    {
                        firstLetters.Add(word[0]);
                        ByFirstLetter[word[0]] = distinct.Where(w => w.Length > 0 && w[0] == word[0]).ToArray();
                    }
                }
            }

            FirstLetters = firstLetters.ToArray();
        }

        /// <summary>The distinct first letters of the words (ASCII; a word starting with another character is never found).</summary>
        public char[] FirstLetters { get; }

        /// <summary>Element c holds the words starting with the ASCII character c (null: none).</summary>
        public string[][] ByFirstLetter { get; }

        /// <summary>Element n holds the words of n characters (a look-up without a string per identifier).</summary>
        public string[][] ByLength { get; }

        /// <summary>The ASCII characters a word starts with (a word starting with another character is never found).</summary>
        public bool[] Starts { get; }
    }

    // Whether the first `length` characters of `run` are one of the words (no string allocated).
    private static bool IsOneOf(char[] run, int length, string[][] wordsByLength)
    {
        if (length >= wordsByLength.Length)
        {
            return false;
        }

        foreach (string candidate in wordsByLength[length])
        {
            int k = 0;
            while (k < length && run[k] == candidate[k])
            {
                k++;
            }

            if (k == length)
            {
                return true;
            }
        }

        return false;
    }

    private static int IndexOfWord(char[] buffer, int count, string word)
    {
        for (int i = 0; i + word.Length <= count; i++)
        {
            if (buffer[i] != word[0])
            {
                continue;
            }

            int k = 1;
            while (k < word.Length && buffer[i + k] == word[k])
            {
                k++;
            }

            if (k < word.Length)
            {
                continue;
            }

            bool before = i == 0 || !IsIdentifierPart(buffer[i - 1]);
            bool after = i + word.Length == count || !IsIdentifierPart(buffer[i + word.Length]);
            if (before && after)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '@';
}
