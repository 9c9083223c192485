using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.Text;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// Where a source text names something that can take a lock or use a condition: the <c>lock</c>
/// keyword and every method name the walker recognises as an acquisition or a condition call on
/// the BCL and well-known library lock types. One pass over the characters of a file, before any
/// syntax node of it is visited; <see cref="LocalFindingScan"/> uses it to pass over bodies that
/// cannot take a lock without traversing them.
/// </summary>
/// <remarks>
/// Words inside comments and strings count too, and <c>@</c> separates words (<c>@lock</c> is the
/// word <c>lock</c>): the index may say yes too often, never no to a call the walker recognises (a
/// call names its method, whether through <c>using static</c>, an extension method or a base
/// class). A method name spelled with Unicode escapes (<c>\u0045nter</c>) is not seen. It does not cover the
/// OrderedLocks API, helpers returning its scopes, or user lock types from .editorconfig, whose
/// methods may have any name: for those compilations the scan traverses every body.
/// </remarks>
internal static class LockWords
{
    // MethodWalker.ClassifyInvocation (Monitor, Lock, SemaphoreSlim, ReaderWriterLockSlim, Mutex,
    // and LibraryLocks) and MethodWalker.TryConditionUse (Monitor's Wait and Pulse).
    private static readonly string[] s_bclWords =
    {
        "lock",
        "Enter", "TryEnter", "EnterScope", "Wait", "WaitAsync", "Pulse", "PulseAll", "WaitOne",
        "EnterWriteLock", "TryEnterWriteLock", "EnterUpgradeableReadLock", "TryEnterUpgradeableReadLock",
    };

    private static readonly SourceWords.WordSet s_words = new(s_bclWords.Concat(LibraryLocks.MethodNames));

    /// <summary>The start positions, in order, of the words of <paramref name="text"/> that are lock words.</summary>
    public static int[] Positions(SourceText text) => SourceWords.Positions(text, s_words);

    /// <summary>True when one of <paramref name="positions"/> (sorted) lies inside <paramref name="span"/>.</summary>
    public static bool AnyWithin(int[] positions, TextSpan span)
    {
        // The first position at or after the span's start (a search of our own: the runtime's
        // generic Array.BinarySearch<int> is compiled at run time in the compiler's process).
        int low = 0, high = positions.Length;
        while (low < high)
        {
            int middle = low + ((high - low) >> 1);
            if (positions[middle] < span.Start)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low < positions.Length && positions[low] < span.End;
    }
}
