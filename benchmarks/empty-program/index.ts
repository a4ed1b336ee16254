// Registers nothing: only the SDK import, like the real program's first line.
import "@pulumi/pulumi";
