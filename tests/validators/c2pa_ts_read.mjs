// Read many C2PA files with @trustnxt/c2pa-ts (a pure TypeScript implementation that shares
// no code with c2pa-rs) and print, as one JSON array on stdout, what it found in each:
// validity, failure codes, and the facts of every manifest (actions, ingredients).
//
// Usage: node c2pa_ts_read.mjs LIST.json   where LIST.json is [{"path": ..., "sidecar": ...|null}]
// One process reads the whole list: tests/validators/test_independent_validators.py.
import * as fs from 'node:fs/promises';
import { BMFF, JPEG, PNG } from '@trustnxt/c2pa-ts/asset';
import { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ManifestStore, ValidationResult } from '@trustnxt/c2pa-ts/manifest';

const FORMATS = [JPEG, PNG, BMFF];

function openAsset(bytes) {
    for (const Format of FORMATS) {
        if (Format.canRead(bytes)) return new Format(bytes);
    }
    return undefined;
}

// The decoded CBOR content of an assertion, as c2pa-ts's own JUMBF reader holds it.
function rawContent(assertion) {
    const box = assertion.sourceBox?.contentBoxes?.[0];
    return box && typeof box === 'object' && 'content' in box ? box.content : undefined;
}

function plain(value) {
    // Byte strings (hashes) are not facts we compare: drop them, keep the rest as JSON.
    return JSON.parse(
        JSON.stringify(value ?? null, (key, v) => (v instanceof Uint8Array ? undefined : v)),
    );
}

function manifestFacts(manifest) {
    const actions = [];
    const ingredients = [];
    for (const assertion of manifest.assertions?.assertions ?? []) {
        const label = assertion.label ?? '';
        if (label.startsWith('c2pa.actions')) {
            const raw = rawContent(assertion) ?? {};
            const rawActions = Array.isArray(raw.actions) ? raw.actions : [];
            (assertion.actions ?? []).forEach((action, index) => {
                const source = rawActions[index] ?? {};
                actions.push({
                    action: action.action,
                    digitalSourceType: action.digitalSourceType ?? null,
                    softwareAgent: action.softwareAgent
                        ? { name: action.softwareAgent.name, version: action.softwareAgent.version ?? null }
                        : null,
                    description: source.description ?? action.description ?? null,
                    changes: plain(source.changes ?? null),
                });
            });
        } else if (label.startsWith('c2pa.ingredient')) {
            ingredients.push({
                title: assertion.title ?? null,
                relationship: assertion.relationship ?? null,
                activeManifest: assertion.activeManifest?.uri ?? null,
            });
        }
    }
    return {
        label: manifest.label ?? null,
        generator: manifest.claim?.claimGeneratorName ?? null,
        actions,
        ingredients,
    };
}

async function readOne(item) {
    const bytes = new Uint8Array(await fs.readFile(item.path));
    const asset = openAsset(bytes);
    if (!asset) return { path: item.path, supported: false };
    const jumbf = item.sidecar ? new Uint8Array(await fs.readFile(item.sidecar)) : asset.getManifestJUMBF();
    if (!jumbf) return { path: item.path, supported: true, present: false };
    let result;
    let store;
    try {
        store = ManifestStore.read(SuperBox.fromBuffer(jumbf));
        result = await store.validate(asset);
    } catch (error) {
        result = ValidationResult.fromError(error);
    }
    const active = store?.getActiveManifest();
    return {
        path: item.path,
        supported: true,
        present: true,
        valid: result.isValid,
        failures: result.statusEntries.filter((entry) => !entry.success).map((entry) => entry.code),
        active: active?.label ?? null,
        manifests: (store?.manifests ?? []).map(manifestFacts),
    };
}

const list = JSON.parse(await fs.readFile(process.argv[2], 'utf8'));
const out = [];
for (const item of list) {
    try {
        out.push(await readOne(item));
    } catch (error) {
        out.push({ path: item.path, supported: true, present: true, valid: false, crashed: String(error) });
    }
}
process.stdout.write(JSON.stringify(out));
