/**
 * What a problem's editor starts with, per language: read the input, print the answer.
 * Data, one entry per language; a language not listed starts from its own template.
 */
const STARTERS: Record<string, (title: string) => string> = {
  python: (title) => `# ${title}: read the input from stdin, print the answer.
import sys

data = sys.stdin.read().split()
`,
  javascript: (title) => `// ${title}: read the input from stdin, print the answer.
const data = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean);
`,
  cpp: (title) => `// ${title}: read the input from stdin, print the answer.
#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);

    return 0;
}
`,
  java: (title) => `// ${title}: read the input from stdin, print the answer.
import java.io.*;
import java.util.*;

public class Main {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));

    }
}
`,
};

export function starterCode(language: string, title: string, fallback: string): string {
  return STARTERS[language]?.(title) ?? fallback;
}
