using System.Collections.Generic;
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
    public static int[] Positions(SourceText text, string word)
    {
        List<int>? positions = null;
        char[] buffer = new char[ChunkSize];
        int runStart = -1;
        bool matching = false;
        for (int start = 0; start < text.Length; start += ChunkSize)
        {
            int count = System.Math.Min(ChunkSize, text.Length - start);
            text.CopyTo(start, buffer, 0, count);
            for (int i = 0; i < count; i++)
            {
                char c = buffer[i];
                if (char.IsLetterOrDigit(c) || c == '_')
                {
                    if (runStart < 0)
                    {
                        runStart = start + i;
                        matching = true;
                    }

                    int at = start + i - runStart;
                    matching = matching && at < word.Length && word[at] == c;
                }
                else if (runStart >= 0)
                {
                    if (matching && start + i - runStart == word.Length)
                    {
                        (positions ??= new List<int>()).Add(runStart);
                    }

                    runStart = -1;
                }
            }
        }

        if (runStart >= 0 && matching && text.Length - runStart == word.Length)
        {
            (positions ??= new List<int>()).Add(runStart);
        }

        return positions is null ? System.Array.Empty<int>() : positions.ToArray();
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
