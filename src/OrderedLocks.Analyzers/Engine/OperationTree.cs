using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Searches of operation trees.</summary>
internal static class OperationTree
{
    /// <summary>
    /// The operation and every operation under it, parents before children and children in order,
    /// as Roslyn's <c>DescendantsAndSelf</c> gives them.
    /// </summary>
    /// <remarks>
    /// Ours because Roslyn's keeps its stack in a pool of tuples that no precompiled image contains:
    /// in the compiler's process that code was compiled at run time, for every build, and then ran
    /// unoptimised.
    /// </remarks>
    public static IEnumerable<IOperation> DescendantsAndSelf(IOperation root)
    {
        var pending = new Stack<IOperation>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            IOperation operation = pending.Pop();
            yield return operation;
            foreach (IOperation child in operation.ChildOperations.Reverse())
            {
                pending.Push(child);
            }
        }
    }
}
