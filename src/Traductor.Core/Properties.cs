using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Traductor.Core.Tests")]
