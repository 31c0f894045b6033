// The project type-checks without the DOM library (its code runs in Node), so the shapes
// that the functions evaluated inside the page use are declared here, as far as they use them.

export interface DomRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
}

export interface DomNode {
  nodeValue: string | null;
}

export interface DomElement {
  textContent: string | null;
  className: string;
  tagName: string;
  style: { top: string };
  parentElement: DomElement | null;
  ownerDocument: DomDocument;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  closest(selector: string): DomElement | null;
  contains(other: DomElement | null): boolean;
  getBoundingClientRect(): DomRect;
}

export interface DomDocument {
  createTreeWalker(root: DomElement, whatToShow: number): { nextNode(): DomNode | null };
  createRange(): {
    setStart(node: DomNode, offset: number): void;
    setEnd(node: DomNode, offset: number): void;
    getBoundingClientRect(): DomRect;
  };
  defaultView: { getComputedStyle(element: DomElement): { backgroundColor: string } } | null;
  elementFromPoint(x: number, y: number): DomElement | null;
}
