/** A leaf on forestall's green: the tab icon of every page. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#1e7a46"/>
<path d="M9 23c0-9 6-14 15-14-1 9-6 15-15 14z" fill="#fff"/>
<path d="M9 23l9-9" stroke="#1e7a46" stroke-width="2" stroke-linecap="round"/>
</svg>
`;
