namespace Traductor.Models;

/// <summary>
/// The one error type of the model tooling. Its message is a complete sentence for an operator
/// (it names the file and the problem), so the CLI prints it as is and exits non-zero.
/// </summary>
public sealed class ModelToolException : Exception
{
    public ModelToolException(string message) : base(message) { }
    public ModelToolException(string message, Exception inner) : base(message, inner) { }
}
