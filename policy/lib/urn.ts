// A URN is urn:pulumi:<stack>::<project>::<type chain>::<name>. Policies get no stack name of their
// own, so production rules and the stack/project tag rule read it from here.

function part(urn: string, index: number): string {
    const parts = urn.split("::");
    if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:")) throw new Error(`not a Pulumi URN: ${urn}`);
    return index === 0 ? parts[0].slice("urn:pulumi:".length) : parts[index];
}

/** The stack a resource belongs to. */
export function stackOf(urn: string): string {
    return part(urn, 0);
}

/** The project a resource belongs to. */
export function projectOf(urn: string): string {
    return part(urn, 1);
}
